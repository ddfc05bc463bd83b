package lifecycle

import (
	"context"
	"errors"
	"net"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"google.golang.org/grpc"
)

// GRPCStopTimeout bounds a graceful stop: connections still open after it
// are closed.
const GRPCStopTimeout = 10 * time.Second

// ServeGRPC serves lis until ctx ends. Then it calls drain (which should
// end the server's long-lived streams, so clients move to a peer at once),
// stops gracefully, and closes whatever is still open after
// GRPCStopTimeout.
func ServeGRPC(ctx context.Context, logger lager.Logger, server *grpc.Server, lis net.Listener, drain func()) error {
	errc := make(chan error, 1)
	go func() { errc <- server.Serve(lis) }()
	select {
	case err := <-errc:
		if errors.Is(err, grpc.ErrServerStopped) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	if drain != nil {
		drain()
	}
	stopped := make(chan struct{})
	go func() { server.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(GRPCStopTimeout):
		logger.Info("grpc-stop-forced", lager.Data{"after": GRPCStopTimeout.String()})
		server.Stop()
	}
	return nil
}
