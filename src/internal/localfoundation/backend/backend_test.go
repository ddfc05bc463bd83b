package backend_test

import (
	"context"
	"io"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
)

var _ = Describe("Backend", func() {
	var b *backend.Backend

	BeforeEach(func() {
		var err error
		b, err = backend.Start("instance-a", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(b.Stop)
	})

	It("names itself to gRPC callers", func() {
		conn, err := grpc.NewClient(b.Address(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		Expect(backend.Call(ctx, conn)).To(Equal("instance-a"))
	})

	It("fails every request while set failing", func() {
		b.SetFailing(true)
		resp, err := http.Get("http://" + b.Address() + "/")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusServiceUnavailable))
		conn, err := grpc.NewClient(b.Address(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = backend.Call(ctx, conn)
		Expect(status.Code(err)).To(Equal(codes.Unavailable))
	})

	It("names itself to HTTP/1.1 callers on the same port", func() {
		resp, err := http.Get("http://" + b.Address() + "/anything")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		Expect(string(body)).To(Equal("instance-a\n"))
		Expect(resp.Header.Get(backend.IDHeader)).To(Equal("instance-a"))
	})
})
