package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
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
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves until Stop.
func Start(id, addr string) (*Backend, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", id, err)
	}
	b := &Backend{ID: id, listener: lis, done: make(chan error, 1)}
	b.grpc = grpc.NewServer(grpc.UnaryInterceptor(b.stampID))
	healthpb.RegisterHealthServer(b.grpc, health.NewServer())
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	b.http = &http.Server{Handler: http.HandlerFunc(b.serveHTTP), Protocols: protocols}
	go func() { b.done <- b.http.Serve(lis) }()
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

// Stop closes the listener and every connection.
func (b *Backend) Stop() error {
	b.grpc.Stop()
	err := b.http.Close()
	if serveErr := <-b.done; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}

func (b *Backend) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
		b.grpc.ServeHTTP(w, r)
		return
	}
	w.Header().Set(IDHeader, b.ID)
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintln(w, b.ID)
}

func (b *Backend) stampID(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
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
