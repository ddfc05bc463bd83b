package testbed

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/emptypb"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
)

// Dial opens a proxyless gRPC client of a route (`xds:///<host>`) through
// the pilot, identified as workload.
func (f *Foundation) Dial(workload, host string) (*grpc.ClientConn, error) {
	return proxyless.Dial(f.ports.xds, workload, host)
}

// Invoke calls method (a full gRPC method path, `/package.Service/Method`)
// with an empty message and returns the instance that answered and the
// call's error. The instance is found by the connection's peer address, so
// a call an app answers with an error (Unimplemented, for a method it does
// not serve) still names it; a call that reached no instance (no route,
// no endpoint) returns nil.
func (f *Foundation) Invoke(ctx context.Context, conn *grpc.ClientConn, method string) (*Instance, error) {
	var p peer.Peer
	err := conn.Invoke(ctx, method, &emptypb.Empty{}, &emptypb.Empty{}, grpc.Peer(&p))
	if p.Addr == nil {
		return nil, err
	}
	return f.InstanceAt(p.Addr.String()), err
}
