package mcpclient_test

import (
	"context"
	"sync"

	"code.cloudfoundry.org/lager/v3/lagertest"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// recorder collects the Configs a Client hands to onConfig.
type recorder struct {
	mu      sync.Mutex
	configs []mesh.Config
}

func (r *recorder) record(cfg mesh.Config) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.configs = append(r.configs, cfg)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.configs)
}

func (r *recorder) last() mesh.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	Expect(r.configs).NotTo(BeEmpty())
	return r.configs[len(r.configs)-1]
}

// objects lists "key@version" of every object of kind, to compare Configs.
func objects(cfg mesh.Config, kind mesh.Kind) []string {
	out := []string{}
	for _, r := range cfg.Of(kind) {
		out = append(out, r.Key()+"@"+r.Version)
	}
	return out
}

func expectSameWorld(got, want mesh.Config) {
	for _, info := range mesh.Kinds() {
		Expect(objects(got, info.Kind)).To(Equal(objects(want, info.Kind)), "%s", info.Kind)
	}
}

// startClient runs a Client until the test ends.
func startClient(cfg mcpclient.Config, creds grpc.DialOption, logger *lagertest.TestLogger, reg prometheus.Registerer) *recorder {
	rec := &recorder{}
	client, err := mcpclient.New(cfg, creds, logger, reg, rec.record)
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		Expect(client.Run(ctx)).To(Succeed())
	}()
	DeferCleanup(func() {
		cancel()
		Eventually(done, "5s").Should(BeClosed())
	})
	return rec
}

// fakeADS is a scripted ADS server: the test reads what the client sends
// from requests and decides what to send back through responses.
type fakeADS struct {
	requests  chan *discoveryv3.DiscoveryRequest
	responses chan *discoveryv3.DiscoveryResponse
}

func newFakeADS() *fakeADS {
	return &fakeADS{
		requests:  make(chan *discoveryv3.DiscoveryRequest, 100),
		responses: make(chan *discoveryv3.DiscoveryResponse),
	}
}

func (f *fakeADS) register(g *grpc.Server) {
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, f)
}

func (f *fakeADS) StreamAggregatedResources(gs grpc.BidiStreamingServer[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]) error {
	ctx := gs.Context()
	go func() {
		for {
			req, err := gs.Recv()
			if err != nil {
				return
			}
			select {
			case f.requests <- req:
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case resp := <-f.responses:
			if err := gs.Send(resp); err != nil {
				return err
			}
		}
	}
}

func (f *fakeADS) DeltaAggregatedResources(grpc.BidiStreamingServer[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]) error {
	return status.Error(codes.Unimplemented, "fake")
}

func (f *fakeADS) nextRequest() *discoveryv3.DiscoveryRequest {
	var req *discoveryv3.DiscoveryRequest
	Eventually(f.requests, "5s").Should(Receive(&req))
	return req
}

func (f *fakeADS) respond(resp *discoveryv3.DiscoveryResponse) {
	Eventually(f.responses, "5s").Should(BeSent(resp))
}
