package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// IDHeader carries the answering instance's ID.
const IDHeader = "x-cf-mesh-backend"

// Backend is one running sample instance.
type Backend struct {
	ID       string
	listener net.Listener
	http     *http.Server
	grpc     *grpc.Server
	done     chan error

	stopOnce sync.Once
	stopErr  error
	failing  atomic.Bool
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves until Stop.
func Start(id, addr string) (*Backend, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", id, err)
	}
	b := &Backend{ID: id, listener: lis, done: make(chan error, 2)}
	b.grpc = grpc.NewServer(grpc.UnaryInterceptor(b.stampID))
	healthpb.RegisterHealthServer(b.grpc, health.NewServer())
	b.http = &http.Server{Handler: http.HandlerFunc(b.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	ports := newSplit(lis)
	go func() { b.done <- b.grpc.Serve(ports.grpc) }()
	go func() { b.done <- b.http.Serve(ports.http) }()
	return b, nil
}

// Port is the port the backend listens on.
func (b *Backend) Port() uint32 {
	return uint32(b.listener.Addr().(*net.TCPAddr).Port)
}

// Address is host:port.
func (b *Backend) Address() string {
	return b.listener.Addr().String()
}

// Stop closes the listener and every connection (an instance dying). Later
// calls return the first call's result.
func (b *Backend) Stop() error {
	b.stopOnce.Do(func() {
		b.grpc.Stop()
		b.stopErr = b.http.Close()
		for range 2 {
			if err := <-b.done; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) && b.stopErr == nil {
				b.stopErr = err
			}
		}
	})
	return b.stopErr
}

// SetFailing makes the instance answer every request with an error (gRPC
// UNAVAILABLE, HTTP 503), like an app that is up but broken.
func (b *Backend) SetFailing(failing bool) {
	b.failing.Store(failing)
}

func (b *Backend) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(IDHeader, b.ID)
	if b.failing.Load() {
		http.Error(w, b.ID+" is failing", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintln(w, b.ID)
}

func (b *Backend) stampID(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if b.failing.Load() {
		// A trailers-only error, as a broken app gives: no headers first, so
		// a client may still retry the call elsewhere.
		return nil, status.Errorf(codes.Unavailable, "%s is failing", b.ID)
	}
	if err := grpc.SetHeader(ctx, metadata.Pairs(IDHeader, b.ID)); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// Call makes one gRPC call over conn and returns the ID of the instance
// that answered.
func Call(ctx context.Context, conn grpc.ClientConnInterface) (string, error) {
	var header metadata.MD
	_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&header))
	if err != nil {
		return "", err
	}
	ids := header.Get(IDHeader)
	if len(ids) != 1 {
		return "", fmt.Errorf("response carries %d %s headers, want 1", len(ids), IDHeader)
	}
	return ids[0], nil
}
