package lifecycle_test

import (
	"context"
	"io"
	"net"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

// holdService has one streaming method that stays open until released,
// like an ADS stream.
func holdService(release <-chan struct{}) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "test.Hold",
		HandlerType: (*any)(nil),
		Streams: []grpc.StreamDesc{{
			StreamName: "Hold", ServerStreams: true, ClientStreams: true,
			Handler: func(_ any, stream grpc.ServerStream) error {
				if err := stream.RecvMsg(&emptypb.Empty{}); err != nil {
					return err
				}
				if err := stream.SendMsg(&emptypb.Empty{}); err != nil {
					return err
				}
				select {
				case <-release:
				case <-stream.Context().Done():
				}
				return nil
			},
		}},
	}
}

var _ = Describe("ServeGRPC", func() {
	It("drains long-lived streams before a graceful stop, so the stop completes", func() {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		release := make(chan struct{})
		server := grpc.NewServer()
		var impl any
		server.RegisterService(holdService(release), &impl)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- lifecycle.ServeGRPC(ctx, lagertest.NewTestLogger("grpc"), server, lis, func() { close(release) })
		}()

		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		stream, err := conn.NewStream(context.Background(), &holdService(nil).Streams[0], "/test.Hold/Hold")
		Expect(err).NotTo(HaveOccurred())
		Expect(stream.SendMsg(&emptypb.Empty{})).To(Succeed())
		Expect(stream.RecvMsg(&emptypb.Empty{})).To(Succeed(), "the stream is open")

		cancel()
		Expect(stream.RecvMsg(&emptypb.Empty{})).To(MatchError(io.EOF), "drain ended the stream")
		Eventually(done, 5*time.Second).Should(Receive(BeNil()), "the server stops well before the forced-stop timeout")
	})
})
