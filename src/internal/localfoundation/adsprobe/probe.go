package adsprobe

import (
	"context"
	"errors"
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Probe is one ADS stream to an xDS server, identified by a node.
type Probe struct {
	conn   *grpc.ClientConn
	stream grpc.BidiStreamingClient[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]
	node   *corev3.Node
}

// Dial opens an ADS stream to address (plaintext; loopback only) as node.
// The stream lives until ctx ends or Close.
func Dial(ctx context.Context, address string, node *corev3.Node) (*Probe, error) {
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Probe{conn: conn, stream: stream, node: node}, nil
}

// Close ends the stream.
func (p *Probe) Close() error { return p.conn.Close() }

// Fetch requests resources of typeURL (all of them when names is empty)
// and returns the first response of that type, its resources unwrapped
// into the message types their Anys name. Earlier requests are not ACKed;
// the probe is for looking, not for following changes.
func (p *Probe) Fetch(typeURL string, names ...string) ([]proto.Message, error) {
	if err := p.stream.Send(&discoveryv3.DiscoveryRequest{Node: p.node, TypeUrl: typeURL, ResourceNames: names}); err != nil {
		return nil, err
	}
	resp, err := p.stream.Recv()
	for err == nil && resp.GetTypeUrl() != typeURL {
		// A push for a type asked for earlier; this call is about typeURL.
		resp, err = p.stream.Recv()
	}
	if err != nil {
		return nil, err
	}
	var out []proto.Message
	for _, a := range resp.GetResources() {
		m, err := anypb.UnmarshalNew(a, proto.UnmarshalOptions{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", typeURL, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Validate runs ValidateAll on every message, returning every failure.
func Validate(messages []proto.Message) error {
	var errs []error
	for _, m := range messages {
		v, ok := m.(interface{ ValidateAll() error })
		if !ok {
			errs = append(errs, fmt.Errorf("%T has no ValidateAll", m))
			continue
		}
		if err := v.ValidateAll(); err != nil {
			errs = append(errs, fmt.Errorf("%T: %w", m, err))
		}
	}
	return errors.Join(errs...)
}
