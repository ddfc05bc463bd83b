package copilot

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

// recordingPublisher keeps every config the builder publishes.
type recordingPublisher struct {
	mu        sync.Mutex
	published []mesh.Config
}

func (p *recordingPublisher) Publish(cfg mesh.Config) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = append(p.published, cfg)
}

func (p *recordingPublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.published)
}

// addresses are the endpoint addresses of host's ServiceEntry in the last
// published config (nil when it has none).
func (p *recordingPublisher) addresses(host string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, r := range p.published[len(p.published)-1].Of(mesh.KindServiceEntry) {
		se := r.Spec.(*networking.ServiceEntry)
		if se.GetHosts()[0] != host {
			continue
		}
		for _, e := range se.GetEndpoints() {
			out = append(out, e.GetAddress())
		}
	}
	return out
}

var _ = Describe("builder: full builds and endpoints-first publishes (ADR 20)", func() {
	const shop, orders = "shop.apps.example.com", "orders.apps.example.com"
	desired := source.DesiredRoutes{Routes: []source.DesiredRoute{
		{Host: orders, Destinations: []source.DesiredDestination{{AppGUID: "orders", ProcessGUID: "orders-web", Port: 8080}}},
		{Host: shop, Destinations: []source.DesiredDestination{{AppGUID: "shop", ProcessGUID: "shop-web", Port: 8080}}},
	}}
	endpoint := func(uri, address, app string) source.Endpoint {
		return source.Endpoint{URI: uri, Address: address, Port: 61000, AppGUID: app, ProcessGUID: app + "-web"}
	}
	// snapshots are the NATS routing snapshots, sorted as the subscriber
	// hands them out: v1 has one shop instance, v2 a second, v3 a third
	// and an orders instance.
	v1 := natssubscriber.RoutingSnapshot{Version: 1, Endpoints: source.Endpoints{
		endpoint(orders, "10.0.1.1", "orders"), endpoint(shop, "10.0.2.1", "shop")}}
	v2 := natssubscriber.RoutingSnapshot{Version: 2, ChangedHosts: []string{shop}, Endpoints: source.Endpoints{
		endpoint(orders, "10.0.1.1", "orders"), endpoint(shop, "10.0.2.1", "shop"), endpoint(shop, "10.0.2.2", "shop")}}
	v3 := natssubscriber.RoutingSnapshot{Version: 3, ChangedHosts: []string{orders, shop}, Endpoints: source.Endpoints{
		endpoint(orders, "10.0.1.1", "orders"), endpoint(orders, "10.0.1.2", "orders"),
		endpoint(shop, "10.0.2.1", "shop"), endpoint(shop, "10.0.2.2", "shop"), endpoint(shop, "10.0.2.3", "shop")}}

	var (
		mcp *recordingPublisher
		b   *builder
	)
	BeforeEach(func() {
		mcp = &recordingPublisher{}
		b = newBuilder(meshconfig.Options{}, newPolicyState(false), mcp, lagertest.NewTestLogger("builder"), prometheus.NewRegistry())
	})

	It("publishes nothing ahead of the first full build", func() {
		Expect(b.publishEndpointsFirst(desired, v2)).To(BeFalse())
		Expect(mcp.count()).To(BeZero())
	})

	It("publishes a changed host at once, and a full build of an older snapshot does not undo it", func() {
		b.build(desired, v1)
		Expect(mcp.addresses(shop)).To(Equal([]string{"10.0.2.1"}))

		Expect(b.publishEndpointsFirst(desired, v2)).To(BeTrue())
		Expect(mcp.addresses(shop)).To(Equal([]string{"10.0.2.1", "10.0.2.2"}))

		By("a build that joined v1 finishing after the publish (it started before the change)")
		b.build(desired, v1)
		Expect(mcp.addresses(shop)).To(Equal([]string{"10.0.2.1", "10.0.2.2"}), "the newer endpoints hold")
		_, debugCfg, _ := b.latest()
		Expect(debugCfg.Of(mesh.KindServiceEntry)).To(Equal(mcp.published[len(mcp.published)-1].Of(mesh.KindServiceEntry)),
			"/debug/meshconfig shows what is served")

		By("the build that joined v2 takes over")
		b.build(desired, v2)
		Expect(mcp.addresses(shop)).To(Equal([]string{"10.0.2.1", "10.0.2.2"}))
		Expect(b.fresher).To(BeEmpty())

		By("a snapshot older than the last build's is not published: it would undo newer endpoints")
		b.build(desired, v3)
		Expect(b.publishEndpointsFirst(desired, v2)).To(BeFalse())
		Expect(mcp.addresses(shop)).To(Equal([]string{"10.0.2.1", "10.0.2.2", "10.0.2.3"}))
	})

	It("keeps every later publish over an old build, and drops what a newer build joined", func() {
		b.build(desired, v1)
		Expect(b.publishEndpointsFirst(desired, v2)).To(BeTrue())
		Expect(b.publishEndpointsFirst(desired, v3)).To(BeTrue())
		b.build(desired, v1)
		Expect(mcp.addresses(shop)).To(Equal([]string{"10.0.2.1", "10.0.2.2", "10.0.2.3"}), "v3, the newest, is applied last")
		Expect(mcp.addresses(orders)).To(Equal([]string{"10.0.1.1", "10.0.1.2"}))

		b.build(desired, v2)
		Expect(b.fresher).To(HaveLen(1), "v3 still holds over a build of v2")
		Expect(mcp.addresses(orders)).To(Equal([]string{"10.0.1.1", "10.0.1.2"}))
	})

	It("takes out the objects of a host that lost its last route", func() {
		nats := source.DesiredRoutes{Routes: desired.Routes[:1]} // shop has NATS endpoints only
		b.build(nats, v1)
		Expect(mcp.addresses(shop)).To(Equal([]string{"10.0.2.1"}))
		gone := natssubscriber.RoutingSnapshot{Version: 2, ChangedHosts: []string{shop}}
		Expect(b.publishEndpointsFirst(nats, gone)).To(BeTrue())
		Expect(mcp.addresses(shop)).To(BeNil())
		for _, kind := range []mesh.Kind{mesh.KindVirtualService, mesh.KindDestinationRule} {
			Expect(mcp.published[len(mcp.published)-1].Of(kind)).To(HaveLen(1), "only orders' %s", kind)
		}
	})

	It("stands in for the full build when the publishes since the last one changed only endpoints", func() {
		b.build(desired, v1)
		Expect(b.adoptEndpointsFirst()).To(BeTrue(), "nothing changed since the build")
		Expect(b.publishEndpointsFirst(desired, v2)).To(BeTrue())
		Expect(b.publishEndpointsFirst(desired, v3)).To(BeTrue())
		published := mcp.count()

		Expect(b.adoptEndpointsFirst()).To(BeTrue())
		Expect(mcp.count()).To(Equal(published), "nothing more to publish")
		Expect(b.fresher).To(BeEmpty())
		table, _, _ := b.latest()
		full := newBuilder(meshconfig.Options{}, newPolicyState(false), &recordingPublisher{}, lagertest.NewTestLogger("full"), prometheus.NewRegistry())
		full.build(desired, v3)
		fullTable, fullCfg, _ := full.latest()
		Expect(table.Routes).To(Equal(fullTable.Routes), "the routing table (and /debug/routes) is the one a full build joins")
		_, cfg, _ := b.latest()
		for _, kind := range []mesh.Kind{mesh.KindServiceEntry, mesh.KindVirtualService, mesh.KindDestinationRule, mesh.KindAuthorizationPolicy} {
			Expect(versions(cfg.Of(kind))).To(Equal(versions(fullCfg.Of(kind))), "%s as a full build gives them", kind)
		}
		Expect(b.publishEndpointsFirst(desired, v3)).To(BeFalse(), "v3 is adopted")
	})

	It("builds in full when a host gained or lost its routes", func() {
		nats := source.DesiredRoutes{Routes: desired.Routes[:1]} // shop has NATS endpoints only
		b.build(nats, v1)
		gone := natssubscriber.RoutingSnapshot{Version: 2, ChangedHosts: []string{shop}}
		Expect(b.publishEndpointsFirst(nats, gone)).To(BeTrue())
		Expect(b.adoptEndpointsFirst()).To(BeFalse(), "an authorization policy may name the host")
		b.build(nats, gone)
		Expect(b.adoptEndpointsFirst()).To(BeTrue(), "the build joined it")
	})

	It("stands in for the full build when an internal app's instance starts or stops (ADR 20, third amendment)", func() {
		const catalog = "catalog.apps.internal"
		internal := source.DesiredRoutes{Routes: append(slices.Clone(desired.Routes), source.DesiredRoute{Host: catalog, Internal: true,
			Destinations: []source.DesiredDestination{{AppGUID: "catalog", ProcessGUID: "catalog-web", Port: 8080}}})}
		registered := func(index int) source.Endpoints {
			e := source.Endpoint{Address: fmt.Sprint("10.255.0.", index+1), AppGUID: "catalog", ProcessGUID: "catalog-web", InstanceIndex: fmt.Sprint(index), Internal: true}
			parent, own := e, e
			parent.URI, own.URI = catalog, fmt.Sprintf("%d.%s", index, catalog)
			return source.Endpoints{parent, own}
		}
		sorted := func(e source.Endpoints) source.Endpoints { // as the subscriber hands them out
			slices.SortFunc(e, func(a, b source.Endpoint) int {
				return cmp.Or(strings.Compare(a.URI, b.URI), strings.Compare(a.Address, b.Address))
			})
			return e
		}
		one := natssubscriber.RoutingSnapshot{Version: 1, Endpoints: sorted(append(slices.Clone(v1.Endpoints), registered(0)...))}
		two := natssubscriber.RoutingSnapshot{Version: 2, ChangedHosts: []string{"1." + catalog, catalog},
			Endpoints: sorted(append(slices.Clone(one.Endpoints), registered(1)...))}
		stopped := natssubscriber.RoutingSnapshot{Version: 3, ChangedHosts: two.ChangedHosts, Endpoints: one.Endpoints}
		b.build(internal, one)
		for _, next := range []natssubscriber.RoutingSnapshot{two, stopped} {
			Expect(b.publishEndpointsFirst(internal, next)).To(BeTrue())
			Expect(b.adoptEndpointsFirst()).To(BeTrue(), "snapshot %d", next.Version)
			full := newBuilder(meshconfig.Options{}, newPolicyState(false), &recordingPublisher{}, lagertest.NewTestLogger("full"), prometheus.NewRegistry())
			full.build(internal, next)
			table, cfg, _ := b.latest()
			fullTable, fullCfg, _ := full.latest()
			Expect(table.Routes).To(Equal(fullTable.Routes))
			for _, info := range mesh.Kinds() {
				Expect(versions(cfg.Of(info.Kind))).To(Equal(versions(fullCfg.Of(info.Kind))), "%s of snapshot %d", info.Kind, next.Version)
			}
		}
	})

	It("leaves bursts past the bound to the full build", func() {
		b.build(desired, v1)
		burst := v2
		for i := range maxEndpointsFirstHosts {
			burst.ChangedHosts = append(burst.ChangedHosts, fmt.Sprintf("app-%d.apps.example.com", i))
		}
		Expect(b.publishEndpointsFirst(desired, burst)).To(BeFalse())
		Expect(b.adoptEndpointsFirst()).To(BeFalse(), "no update stands for the burst")
		burst.ChangedHosts = burst.ChangedHosts[:maxEndpointsFirstHosts]
		Expect(b.publishEndpointsFirst(desired, burst)).To(BeTrue(), "at the bound")
		Expect(mcp.count()).To(Equal(2))
	})
})

// versions are the keys and versions of objects: equal when the objects
// are.
func versions(objects []mesh.Resource) []string {
	var out []string
	for _, r := range objects {
		out = append(out, r.Key()+"@"+r.Version)
	}
	return out
}
