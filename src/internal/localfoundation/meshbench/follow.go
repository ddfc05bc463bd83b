package meshbench

import (
	"maps"
	"slices"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// received is one resource of a response: its name and encoded body.
type received struct {
	name string
	body []byte
}

// dependent is the type whose names a type's resources refer to.
var dependent = map[string]string{
	resourcev3.ListenerType: resourcev3.RouteType,
	resourcev3.ClusterType:  resourcev3.EndpointType,
	resourcev3.RouteType:    resourcev3.ClusterType,
}

// fullState types answer with every subscribed resource in State of the
// World; the others only with what changed.
func fullState(typeURL string) bool {
	return typeURL == resourcev3.ListenerType || typeURL == resourcev3.ClusterType
}

type sotwStream = grpc.BidiStreamingClient[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]
type deltaStream = grpc.BidiStreamingClient[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]

func (p *proxy) followSotW(s sotwStream) error {
	for _, t := range p.initialTypes() {
		if err := s.Send(p.sotwRequest(t)); err != nil {
			return err
		}
	}
	for {
		resp, err := s.Recv()
		if err != nil {
			return err
		}
		p.count(proto.Size(resp), len(resp.GetResources()))
		resources := make([]received, 0, len(resp.GetResources()))
		for _, a := range resp.GetResources() {
			resources = append(resources, received{name: resourceName(a.GetValue()), body: a.GetValue()})
		}
		matched, followUps := p.apply(resp.GetTypeUrl(), resources, nil, fullState(resp.GetTypeUrl()), resp.GetVersionInfo(), resp.GetNonce())
		if err := s.Send(p.sotwRequest(resp.GetTypeUrl())); err != nil {
			return err
		}
		p.acked(matched)
		for _, f := range followUps {
			if err := s.Send(p.sotwRequest(f.typeURL)); err != nil {
				return err
			}
		}
	}
}

// sotwRequest asks for a type's current names, ACKing its last response.
func (p *proxy) sotwRequest(typeURL string) *discoveryv3.DiscoveryRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.subs[typeURL]
	req := &discoveryv3.DiscoveryRequest{Node: p.node, TypeUrl: typeURL, VersionInfo: s.version, ResponseNonce: s.nonce}
	if !s.wildcard {
		req.ResourceNames = slices.Sorted(maps.Keys(s.names))
	}
	return req
}

func (p *proxy) followDelta(s deltaStream) error {
	for _, t := range p.initialTypes() {
		req := &discoveryv3.DeltaDiscoveryRequest{Node: p.node, TypeUrl: t, ResourceNamesSubscribe: []string{"*"}}
		if err := s.Send(req); err != nil {
			return err
		}
	}
	for {
		resp, err := s.Recv()
		if err != nil {
			return err
		}
		p.count(proto.Size(resp), len(resp.GetResources()))
		resources := make([]received, 0, len(resp.GetResources()))
		for _, r := range resp.GetResources() {
			resources = append(resources, received{name: r.GetName(), body: r.GetResource().GetValue()})
		}
		matched, followUps := p.apply(resp.GetTypeUrl(), resources, resp.GetRemovedResources(), false, "", "")
		if err := s.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.GetTypeUrl(), ResponseNonce: resp.GetNonce()}); err != nil {
			return err
		}
		p.acked(matched)
		for _, f := range followUps {
			req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: f.typeURL, ResourceNamesSubscribe: f.added, ResourceNamesUnsubscribe: f.removed}
			if err := s.Send(req); err != nil {
				return err
			}
		}
	}
}

func (p *proxy) count(bytes, resources int) {
	p.bytes.Add(int64(bytes))
	p.resources.Add(int64(resources))
	p.responses.Add(1)
	p.fleet.count(bytes, resources)
}

// acked tells the watch its change reached this proxy, now that the
// response carrying it is ACKed, and checks for a complete configuration.
func (p *proxy) acked(w *watch) {
	now := time.Now()
	if w != nil {
		w.ack(p, now)
	}
	p.checkComplete(now)
}

// followUp is a change of the names a proxy asks for of a type.
type followUp struct {
	typeURL        string
	added, removed []string
}

// apply takes one response into the subscription of its type: what the
// proxy holds, what those resources refer to and so which names of the
// dependent type it must ask for. It returns the watch when the response
// carries the change the watch waits for.
func (p *proxy) apply(typeURL string, resources []received, removed []string, full bool, version, nonce string) (*watch, []followUp) {
	w := p.fleet.currentWatch()
	var matched *watch
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.subs[typeURL]
	s.received, s.version, s.nonce = true, version, nonce
	if full {
		s.have, s.refs = map[string]string{}, map[string][]string{}
	}
	for _, name := range removed {
		delete(s.have, name)
		delete(s.refs, name)
	}
	follow := p.follows(typeURL)
	for _, r := range resources {
		s.have[r.name] = "1"
		if follow {
			s.refs[r.name] = references(typeURL, r.body)
		}
		if w != nil && w.typeURL == typeURL && w.name == r.name && w.holds(r.body) {
			matched = w
		}
	}
	if !follow {
		return matched, nil
	}
	return matched, p.resubscribe(dependent[typeURL], s.wanted())
}

// follows says whether a type's resources decide what the proxy asks for
// next: listeners and clusters always; route configurations only for a
// gRPC client, which asks for clusters by name.
func (p *proxy) follows(typeURL string) bool {
	switch typeURL {
	case resourcev3.ListenerType, resourcev3.ClusterType:
		return true
	case resourcev3.RouteType:
		return p.kind == Proxyless
	}
	return false
}

// resubscribe makes a named type ask for exactly want; the caller holds
// p.mu.
func (p *proxy) resubscribe(typeURL string, want map[string]bool) []followUp {
	s := p.subs[typeURL]
	if s.wildcard {
		return nil
	}
	var f followUp
	for name := range want {
		if !s.names[name] {
			f.added = append(f.added, name)
		}
	}
	for name := range s.names {
		if !want[name] {
			f.removed = append(f.removed, name)
			delete(s.have, name)
			delete(s.refs, name)
		}
	}
	if len(f.added)+len(f.removed) == 0 {
		return nil
	}
	s.names = want
	f.typeURL = typeURL
	return []followUp{f}
}

// resourceName reads field 1, the name of a Listener, Cluster,
// RouteConfiguration or ClusterLoadAssignment, without decoding the rest.
func resourceName(body []byte) string {
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		if n < 0 {
			return ""
		}
		body = body[n:]
		if num == 1 && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(body)
			if m < 0 {
				return ""
			}
			return string(v)
		}
		m := protowire.ConsumeFieldValue(num, typ, body)
		if m < 0 {
			return ""
		}
		body = body[m:]
	}
	return ""
}
