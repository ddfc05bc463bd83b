package xdsserver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// Role says what a listener of the pilot is for, and so which proxies may
// connect through it.
type Role string

// The roles.
const (
	// RoleControlPlane is the mutual-TLS (or loopback) xDS listener: every
	// class of proxy.
	RoleControlPlane Role = "control-plane"
	// RoleContainers is the plaintext cell-local listener Diego's
	// containers.proxy.ads_addresses points at: container sidecars and
	// proxyless gRPC apps only, each from its own container IP.
	RoleContainers Role = "containers"
)

// streamKey tells SotW and Delta streams apart: go-control-plane numbers
// each kind from 1.
type streamKey struct {
	id    int64
	delta bool
}

// stream is what the pilot knows of an open stream before and after its
// first request.
type stream struct {
	ctx  context.Context
	role Role
	peer netip.Addr
}

// streams tracks open streams and bounds them per peer address on the
// containers listener (a container opens one ADS stream; a flood from one
// address is refused, not queued).
type streams struct {
	mu         sync.Mutex
	open       map[streamKey]stream
	perPeer    map[netip.Addr]int
	maxPerPeer int
}

func newStreams(maxPerPeer int) *streams {
	return &streams{open: map[streamKey]stream{}, perPeer: map[netip.Addr]int{}, maxPerPeer: maxPerPeer}
}

type roleKey struct{}

// withRole tags every stream a gRPC server accepts with the listener's role.
func withRole(role Role) grpc.ServerOption {
	return grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &roleStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), roleKey{}, role)})
	})
}

type roleStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *roleStream) Context() context.Context { return s.ctx }

// opened records a new stream; on the containers listener it refuses a
// peer that already has its share of streams.
func (s *streams) opened(ctx context.Context, key streamKey) error {
	role, _ := ctx.Value(roleKey{}).(Role)
	if role == "" {
		role = RoleControlPlane
	}
	addr := peerAddress(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if role == RoleContainers && s.perPeer[addr] >= s.maxPerPeer {
		return status.Errorf(codes.ResourceExhausted, "cf-mesh pilot: %s already has %d xDS streams open", addr, s.maxPerPeer)
	}
	s.open[key] = stream{ctx: ctx, role: role, peer: addr}
	s.perPeer[addr]++
	return nil
}

func (s *streams) closed(key streamKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.open[key]
	if !ok {
		return
	}
	delete(s.open, key)
	if s.perPeer[st.peer]--; s.perPeer[st.peer] <= 0 {
		delete(s.perPeer, st.peer)
	}
}

func (s *streams) get(key streamKey) (stream, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.open[key]
	return st, ok
}

// count is the number of open streams, for tests and metrics.
func (s *streams) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

func peerAddress(ctx context.Context) netip.Addr {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return netip.Addr{}
	}
	if tcp, ok := p.Addr.(*net.TCPAddr); ok {
		if addr, ok := netip.AddrFromSlice(tcp.IP); ok {
			return addr.Unmap()
		}
	}
	return netip.Addr{}
}

// admit checks a stream's first request: the listener must serve the
// proxy's class, and a container's proxy must connect from the IP its node
// ID names (a container cannot claim another's configuration).
func admit(st stream, class xdsresources.Class, node xdsresources.Node) error {
	if st.role == RoleContainers && class == xdsresources.ClassGateway {
		return status.Error(codes.PermissionDenied, "cf-mesh pilot: gateways connect to the control-plane xDS address, not the containers one")
	}
	if class == xdsresources.ClassGateway {
		return nil
	}
	if node.IP.Unmap() != st.peer {
		return status.Error(codes.PermissionDenied, fmt.Sprintf("cf-mesh pilot: node IP %s is not the connection's address %s", node.IP, st.peer))
	}
	return nil
}
