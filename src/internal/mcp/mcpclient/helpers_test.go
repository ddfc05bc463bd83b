package mcpclient_test

import (
	"context"
	"slices"
	"strings"
	"sync"

	"code.cloudfoundry.org/lager/v3"
	"code.cloudfoundry.org/lager/v3/lagertest"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

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

// routingKinds are the kinds scripted servers answer.
var routingKinds = []mesh.Kind{mesh.KindGateway, mesh.KindVirtualService, mesh.KindDestinationRule, mesh.KindServiceEntry}

// expectSameWorld compares the kinds the pilot subscribes to by default.
func expectSameWorld(got, want mesh.Config) {
	expectSameKinds(mcpclient.DefaultKinds, got, want)
}

// expectSameKinds compares the given kinds.
func expectSameKinds(kinds []mesh.Kind, got, want mesh.Config) {
	for _, kind := range kinds {
		Expect(objects(got, kind)).To(Equal(objects(want, kind)), "%s", kind)
	}
}

// startClient runs a Client until the test ends.
func startClient(cfg mcpclient.Config, creds grpc.DialOption, logger *lagertest.TestLogger, reg prometheus.Registerer) *recorder {
	rec := &recorder{}
	client, err := mcpclient.New(cfg, creds, logger, reg, rec.record)
	Expect(err).NotTo(HaveOccurred())
	run(client)
	return rec
}

// builds records, at each onBuildComplete call, how many Configs onConfig
// had received and the last of them.
type builds struct {
	rec   *recorder
	mu    sync.Mutex
	seen  []int
	state []mesh.Config
}

func (b *builds) complete() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, b.rec.count())
	if b.rec.count() > 0 {
		b.state = append(b.state, b.rec.last())
	}
}

// calls lists, per onBuildComplete call, how many Configs came before it.
func (b *builds) calls() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.seen)
}

// lastState is the Config the last onBuildComplete call followed.
func (b *builds) lastState() mesh.Config {
	b.mu.Lock()
	defer b.mu.Unlock()
	Expect(b.state).NotTo(BeEmpty())
	return b.state[len(b.state)-1]
}

// startMarkingClient runs a Client that follows the build marker.
func startMarkingClient(cfg mcpclient.Config, logger *lagertest.TestLogger, reg prometheus.Registerer) (*recorder, *builds) {
	b := &builds{rec: &recorder{}}
	client, err := mcpclient.New(cfg, insecureCreds, logger, reg, b.rec.record, mcpclient.WithBuildComplete(b.complete))
	Expect(err).NotTo(HaveOccurred())
	run(client)
	return b.rec, b
}

// run runs client until the test ends.
func run(client *mcpclient.Client) {
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
}

// fakeADS is a scripted ADS server for both transports: the test reads
// what the client sends from requests (deltaRequests) and decides what to
// send back through responses (deltaResponses).
type fakeADS struct {
	requests       chan *discoveryv3.DiscoveryRequest
	responses      chan *discoveryv3.DiscoveryResponse
	deltaRequests  chan *discoveryv3.DeltaDiscoveryRequest
	deltaResponses chan *discoveryv3.DeltaDiscoveryResponse
}

func newFakeADS() *fakeADS {
	return &fakeADS{
		requests:       make(chan *discoveryv3.DiscoveryRequest, 100),
		responses:      make(chan *discoveryv3.DiscoveryResponse),
		deltaRequests:  make(chan *discoveryv3.DeltaDiscoveryRequest, 100),
		deltaResponses: make(chan *discoveryv3.DeltaDiscoveryResponse),
	}
}

func (f *fakeADS) register(g *grpc.Server) {
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, f)
}

func (f *fakeADS) StreamAggregatedResources(gs grpc.BidiStreamingServer[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]) error {
	return script(gs.Context(), gs.Recv, gs.Send, f.requests, f.responses)
}

func (f *fakeADS) DeltaAggregatedResources(gs grpc.BidiStreamingServer[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]) error {
	return script(gs.Context(), gs.Recv, gs.Send, f.deltaRequests, f.deltaResponses)
}

// script forwards what a stream receives to requests and sends what
// arrives on responses, until the stream ends.
func script[Req, Resp any](ctx context.Context, recv func() (Req, error), send func(Resp) error, requests chan<- Req, responses <-chan Resp) error {
	go func() {
		for {
			req, err := recv()
			if err != nil {
				return
			}
			select {
			case requests <- req:
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case resp := <-responses:
			if err := send(resp); err != nil {
				return err
			}
		}
	}
}

func (f *fakeADS) nextRequest() *discoveryv3.DiscoveryRequest {
	var req *discoveryv3.DiscoveryRequest
	Eventually(f.requests, "5s").Should(Receive(&req))
	return req
}

func (f *fakeADS) respond(resp *discoveryv3.DiscoveryResponse) {
	Eventually(f.responses, "5s").Should(BeSent(resp))
}

func (f *fakeADS) nextDeltaRequest() *discoveryv3.DeltaDiscoveryRequest {
	var req *discoveryv3.DeltaDiscoveryRequest
	Eventually(f.deltaRequests, "5s").Should(Receive(&req))
	return req
}

func (f *fakeADS) respondDelta(resp *discoveryv3.DeltaDiscoveryResponse) {
	Eventually(f.deltaResponses, "5s").Should(BeSent(resp))
}

func findLog(logger *lagertest.TestLogger, action string) lager.LogFormat {
	for _, l := range logger.Logs() {
		if strings.HasSuffix(l.Message, "."+action) {
			return l
		}
	}
	Fail("no log line " + action)
	return lager.LogFormat{}
}
