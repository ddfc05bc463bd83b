package envoyir_test

import (
	"fmt"
	"math/rand/v2"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// randomMesh is a small mesh whose objects change at random between
// translations; unchanged objects stay the very same (as in the pilot).
type randomMesh struct {
	rng     *rand.Rand
	objects map[string]mesh.Resource // by kind and name
}

const randomHosts = 6

func (m *randomMesh) config() mesh.Config {
	var out []mesh.Resource
	for _, r := range m.objects {
		out = append(out, r)
	}
	return config(out...)
}

// change replaces, adds or removes one random object.
func (m *randomMesh) change() {
	h := m.rng.IntN(randomHosts)
	host := fmt.Sprintf("h%d.apps.internal", h)
	switch m.rng.IntN(6) {
	case 0, 1:
		m.put(mesh.KindServiceEntry, host, m.serviceEntry(host))
	case 5:
		// A second ServiceEntry for the host, which sorts first: the
		// translation takes it and reports the other.
		m.put(mesh.KindServiceEntry, "dup-"+host, m.serviceEntry(host))
	case 2:
		m.put(mesh.KindVirtualService, host, m.virtualService(host))
	case 3:
		m.put(mesh.KindDestinationRule, host, &networking.DestinationRule{Host: host, Subsets: []*networking.Subset{
			{Name: "s0", Labels: map[string]string{"proc": "p0"}}, {Name: "s1", Labels: map[string]string{"proc": fmt.Sprint("p", m.rng.IntN(2))}},
		}})
	default:
		m.put(mesh.KindAuthorizationPolicy, fmt.Sprint("policy-", h), m.policy())
	}
	if m.rng.IntN(8) == 0 { // and sometimes one goes away
		for key := range m.objects {
			delete(m.objects, key)
			break
		}
	}
}

// moveInstances replaces a random ServiceEntry by one whose endpoints are
// other instances at other addresses of the same apps, with the same
// labels and ports.
func (m *randomMesh) moveInstances() {
	var keys []string
	for key, r := range m.objects {
		if r.Kind == mesh.KindServiceEntry {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.Sort(keys)
	r := m.objects[keys[m.rng.IntN(len(keys))]]
	se := proto.Clone(r.Spec).(*networking.ServiceEntry)
	for _, we := range se.GetEndpoints() {
		we.Address = fmt.Sprintf("10.0.1.%d", m.rng.IntN(6))
		if we.ServiceAccount != "" {
			we.ServiceAccount = fmt.Sprintf("instance-moved-%d", m.rng.IntN(6))
		}
	}
	if n := len(se.Endpoints); n > 1 && m.rng.IntN(2) == 0 {
		se.Endpoints = se.Endpoints[:n-1] // one instance fewer
	}
	m.put(mesh.KindServiceEntry, r.Name, se)
}

func (m *randomMesh) put(kind mesh.Kind, name string, spec proto.Message) {
	m.objects[string(kind)+"/"+name] = resource(kind, name, spec)
}

func (m *randomMesh) serviceEntry(host string) *networking.ServiceEntry {
	se := &networking.ServiceEntry{Hosts: []string{host}, Ports: []*networking.ServicePort{{Number: 8080, Name: "http", Protocol: "HTTP"}}}
	if m.rng.IntN(3) == 0 {
		se.Ports = append(se.Ports, &networking.ServicePort{Number: 9090, Name: "grpc", Protocol: "GRPC"})
	}
	for range m.rng.IntN(4) {
		// Few apps, instances and IPs, so claims collide across apps.
		we := &networking.WorkloadEntry{
			Address:        fmt.Sprintf("10.0.0.%d", m.rng.IntN(6)),
			ServiceAccount: fmt.Sprintf("instance-%d", m.rng.IntN(6)),
			Labels:         map[string]string{mesh.AppGUIDLabel: fmt.Sprint("app-", m.rng.IntN(4)), "proc": fmt.Sprint("p", m.rng.IntN(2))},
			Ports:          map[string]uint32{"http": 61000},
		}
		if m.rng.IntN(2) == 0 {
			we.Network = mesh.ContainerNetwork
		}
		if m.rng.IntN(4) == 0 {
			we.Ports = map[string]uint32{mesh.TLSProxyPortName: 61001}
		}
		se.Endpoints = append(se.Endpoints, we)
	}
	return se
}

func (m *randomMesh) virtualService(host string) *networking.VirtualService {
	dest := &networking.Destination{Host: fmt.Sprintf("h%d.apps.internal", m.rng.IntN(randomHosts)), Subset: []string{"", "s0", "s1"}[m.rng.IntN(3)]}
	if m.rng.IntN(2) == 0 {
		dest.Port = &networking.PortSelector{Number: 8080}
	}
	return &networking.VirtualService{Hosts: []string{host}, Http: []*networking.HTTPRoute{{Name: "r", Route: []*networking.HTTPRouteDestination{{Destination: dest}}}}}
}

func (m *randomMesh) policy() *security.AuthorizationPolicy {
	app := fmt.Sprint("app-", m.rng.IntN(4))
	selectors := []map[string]string{nil, {mesh.AppGUIDLabel: app}, {"proc": "p1"}, {mesh.AppGUIDLabel: app, "proc": "p1"}}
	ap := &security.AuthorizationPolicy{Rules: []*security.Rule{{From: []*security.Rule_From{{Source: &security.Source{Principals: []string{"app:app-0"}}}}}}}
	if s := selectors[m.rng.IntN(len(selectors))]; s != nil {
		ap.Selector = &typev1beta1.WorkloadSelector{MatchLabels: s}
	}
	return ap
}

var _ = Describe("Translator, with objects changing at random", func() {
	It("gives exactly what Translate gives after every change", func() {
		for seed := range uint64(20) {
			m := &randomMesh{rng: rand.New(rand.NewPCG(seed, 8)), objects: map[string]mesh.Resource{}}
			translator := envoyir.NewTranslator()
			for round := range 60 {
				for range 1 + m.rng.IntN(3) {
					m.change()
				}
				cfg := m.config()
				want, wantErrs := envoyir.Translate(cfg)
				got, gotErrs := translator.Translate(cfg)
				Expect(renderIR(got)).To(Equal(renderIR(want)), "seed %d round %d", seed, round)
				Expect(fmt.Sprint(gotErrs)).To(Equal(fmt.Sprint(wantErrs)), "seed %d round %d", seed, round)
				expectReferenceWorkloads(cfg, got, gotErrs, fmt.Sprintf("seed %d round %d", seed, round))
			}
		}
	})
})

// expectReferenceWorkloads checks ir's workloads and inbound apps against a
// direct computation from cfg: every endpoint labelled with an app claims
// its instance identity and (in the container network) its IP; a key
// claimed by two apps in one index is in neither; an app serves the
// service ports its endpoints map (all, when they map none); a policy
// selects the apps one of whose endpoints carries its selector's labels.
func expectReferenceWorkloads(cfg mesh.Config, ir envoyir.IR, errs []error, context string) {
	claims := map[string]map[string]map[string]bool{"instance": {}, "ip": {}}
	claim := func(index, key, app string) {
		if claims[index][key] == nil {
			claims[index][key] = map[string]bool{}
		}
		claims[index][key][app] = true
	}
	ports := map[string]map[uint32]bool{}
	var labelled []map[string]string
	for _, r := range cfg.Of(mesh.KindServiceEntry) {
		se := r.Spec.(*networking.ServiceEntry)
		for _, we := range se.GetEndpoints() {
			app := we.GetLabels()[mesh.AppGUIDLabel]
			if app == "" {
				continue
			}
			labelled = append(labelled, we.GetLabels())
			if we.GetServiceAccount() != "" {
				claim("instance", we.GetServiceAccount(), app)
			}
			if we.GetNetwork() == mesh.ContainerNetwork {
				claim("ip", we.GetAddress(), app)
			}
			if ports[app] == nil {
				ports[app] = map[uint32]bool{}
			}
			mapped := false
			for _, p := range se.GetPorts() {
				if _, ok := we.GetPorts()[p.GetName()]; ok {
					ports[app][p.GetNumber()], mapped = true, true
				}
			}
			for _, p := range se.GetPorts() {
				if !mapped {
					ports[app][p.GetNumber()] = true
				}
			}
		}
	}
	conflicted := map[string]bool{}
	for _, index := range claims {
		for key, apps := range index {
			if len(apps) > 1 {
				conflicted[key] = true
			}
		}
	}
	want := envoyir.Workloads{ByInstance: map[string]string{}, ByContainerIP: map[string]string{}}
	for index, into := range map[string]map[string]string{"instance": want.ByInstance, "ip": want.ByContainerIP} {
		for key, apps := range claims[index] {
			for app := range apps {
				if !conflicted[key] {
					into[key] = app
				}
			}
		}
	}
	for key := range conflicted {
		Expect(errs).To(ContainElement(MatchError(ContainSubstring("workload "+key+" is claimed by two apps"))), context)
	}
	Expect(ir.Workloads.ByInstance).To(Equal(want.ByInstance), context)
	Expect(ir.Workloads.ByContainerIP).To(Equal(want.ByContainerIP), context)

	selected := map[string]bool{}
	for _, r := range cfg.Of(mesh.KindAuthorizationPolicy) {
		selector := r.Spec.(*security.AuthorizationPolicy).GetSelector().GetMatchLabels()
		for _, labels := range labelled {
			matches := true
			for k, v := range selector {
				matches = matches && labels[k] == v
			}
			if matches {
				selected[labels[mesh.AppGUIDLabel]] = true
			}
		}
	}
	Expect(ir.Inbound).To(HaveLen(len(ports)), context)
	for _, in := range ir.Inbound {
		var wantPorts []uint32
		for p := range ports[in.AppGUID] {
			wantPorts = append(wantPorts, p)
		}
		Expect(in.Ports).To(ConsistOf(wantPorts), context)
		Expect(in.Authorization != nil).To(Equal(selected[in.AppGUID]), "%s: app %s selected", context, in.AppGUID)
	}
}
