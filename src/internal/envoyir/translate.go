package envoyir

import (
	"fmt"
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// meshGateway is Istio's reserved gateway name for mesh clients.
const meshGateway = "mesh"

// clusterRef identifies a cluster before it is built.
type clusterRef struct {
	host   string
	port   uint32
	subset string
}

// translation carries the indexes one Translate call builds.
type translation struct {
	services  map[string]*networking.ServiceEntry    // by host
	rules     map[string]*networking.DestinationRule // by host
	listeners map[string]map[uint32]*gatewayPort     // by gateway key, then port
	ir        IR
	clusters  map[clusterRef]bool
	workloads *workloadIndex
	// gatewayLabels are the Gateways' workload selectors.
	gatewayLabels []map[string]string
	errs          []error
	// bound are the host names bound to the mesh (key nil) or a gateway server.
	bound map[*gatewayServer]map[string]bool
	// memo is what a Translator remembers (nil: a stateless Translate).
	memo *memo
	// recording collects what a memoized virtual host reads and names
	// while it is built (nil otherwise).
	recording *vhostMemo
	// checkpoint is the Translator's Checkpoint (nil: none).
	checkpoint func()
}

// yield calls the checkpoint, if any.
func (t *translation) yield() {
	if t.checkpoint != nil {
		t.checkpoint()
	}
}

// Translate builds the IR from a mesh configuration. It returns every
// problem it found; each is confined to the object it names.
func Translate(cfg mesh.Config) (IR, []error) {
	t := newTranslation(nil, newWorkloadIndex())
	t.run(cfg)
	return t.ir, t.errs
}

// newTranslation starts a translation that reuses and records into memo
// (nil: a stateless translation), and brings workloads up to date.
func newTranslation(memo *memo, workloads *workloadIndex) *translation {
	return &translation{
		services:  map[string]*networking.ServiceEntry{},
		rules:     map[string]*networking.DestinationRule{},
		listeners: map[string]map[uint32]*gatewayPort{},
		clusters:  map[clusterRef]bool{},
		memo:      memo,
		workloads: workloads,
	}
}

func (t *translation) run(cfg mesh.Config) {
	t.indexServices(cfg.Of(mesh.KindServiceEntry))
	t.indexRules(cfg.Of(mesh.KindDestinationRule))
	t.indexGateways(cfg.Of(mesh.KindGateway))
	for _, vs := range cfg.Of(mesh.KindVirtualService) {
		t.addVirtualService(vs)
	}
	t.buildClusters()
	t.yield()
	t.collectListeners()
	t.scopeSidecars(cfg.Of(mesh.KindSidecar))
	t.yield()
	t.indexWorkloads(cfg.Of(mesh.KindServiceEntry))
	t.yield()
	t.collectInbound(t.authorizations(cfg.Of(mesh.KindAuthorizationPolicy)))
}

func (t *translation) fail(r mesh.Resource, format string, args ...any) {
	t.errs = append(t.errs, fmt.Errorf("%s %s: %s", r.Kind, r.Key(), fmt.Sprintf(format, args...)))
}

func (t *translation) indexServices(resources []mesh.Resource) {
	for _, r := range resources {
		se := r.Spec.(*networking.ServiceEntry)
		for _, host := range se.GetHosts() {
			if _, dup := t.services[host]; dup {
				t.fail(r, "host %s already has a ServiceEntry; this one is ignored for it", host)
				continue
			}
			t.services[host] = se
		}
	}
}

func (t *translation) indexRules(resources []mesh.Resource) {
	for _, r := range resources {
		dr := r.Spec.(*networking.DestinationRule)
		if _, dup := t.rules[dr.GetHost()]; dup {
			t.fail(r, "host %s already has a DestinationRule; this one is ignored", dr.GetHost())
			continue
		}
		t.rules[dr.GetHost()] = dr
	}
}

func (t *translation) addVirtualService(r mesh.Resource) {
	vs := r.Spec.(*networking.VirtualService)
	gateways := vs.GetGateways()
	if len(gateways) == 0 {
		gateways = []string{meshGateway}
	}
	for _, host := range vs.GetHosts() {
		vhost, ok := t.memoVirtualHost(r, vs, host)
		if !ok {
			continue
		}
		for _, gw := range gateways {
			t.bind(r, gw, vhost)
		}
	}
}

// bind attaches a virtual host to the mesh or to a gateway's servers.
func (t *translation) bind(r mesh.Resource, gateway string, vhost VirtualHost) {
	if gateway == meshGateway {
		if t.isBound(nil, vhost.Name) {
			t.fail(r, "host %s is already bound to the mesh by another VirtualService", vhost.Name)
			return
		}
		t.ir.MeshHosts = append(t.ir.MeshHosts, vhost)
		return
	}
	key := gateway
	if !strings.Contains(key, "/") {
		key = r.Namespace + "/" + gateway
	}
	t.bindGateway(r, key, vhost)
}

func sortHosts(hosts []VirtualHost) {
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].Name < hosts[j].Name })
}

// isBound reports whether name is already bound to s (nil: the mesh), and
// marks it bound: a set, where scanning the bound hosts made binding
// quadratic in the number of hosts (issue 8).
func (t *translation) isBound(s *gatewayServer, name string) bool {
	if t.bound == nil {
		t.bound = map[*gatewayServer]map[string]bool{}
	}
	names := t.bound[s]
	if names == nil {
		names = map[string]bool{}
		t.bound[s] = names
	}
	if names[name] {
		return true
	}
	names[name] = true
	return false
}
