package mcpserver

import (
	"errors"
	"maps"
	"slices"

	"code.cloudfoundry.org/lager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

type deltaStreamServer = grpc.BidiStreamingServer[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]

// wildcardName is the explicit wildcard subscription of the xDS protocol.
const wildcardName = "*"

// deltaSubscription is the state of one requested type URL on one Delta
// stream: what the client asked for and what it holds.
type deltaSubscription struct {
	how   subscriptionKind
	kind  mesh.Kind
	label string

	// wildcard is set by a first request naming nothing (legacy wildcard)
	// or by "*"; names are the objects subscribed to by name.
	wildcard bool
	names    map[string]bool
	// known maps each object the client holds to its version, as far as
	// this stream knows: its initial_resource_versions plus what was sent
	// since. "" means "send it again, or say it is gone".
	known map[string]string
	// probes are names newly subscribed to by name; those that do not exist
	// are reported in removed_resources, so the client stops waiting.
	probes map[string]bool
	// answer is set until the first response on this stream: a client
	// that declared no initial versions waits for one (its sync gate).
	answer bool
	// seen is the collection version known was last brought up to; ""
	// forces a full comparison.
	seen      string
	nonce     string
	oversized string
}

// deltaStream is one client's incremental ADS stream: responses carry only
// the objects added or changed and the names of those removed.
type deltaStream struct {
	streamBase
	grpc deltaStreamServer
	subs map[string]*deltaSubscription
}

func newDeltaStream(s *Server, gs deltaStreamServer) *deltaStream {
	return &deltaStream{
		streamBase: newStreamBase(gs.Context(), s, transportDelta),
		grpc:       gs,
		subs:       map[string]*deltaSubscription{},
	}
}

// handle records what one request says: a first subscription with what
// the client already holds, subscription changes, and an ACK or NACK of the
// response its nonce names.
func (st *deltaStream) handle(req *discoveryv3.DeltaDiscoveryRequest) {
	st.noteNode(req.GetNode().GetId())
	typeURL := req.GetTypeUrl()
	sub, ok := st.subs[typeURL]
	if !ok {
		how, kind, label := st.classify(typeURL)
		sub = &deltaSubscription{
			how: how, kind: kind, label: label,
			wildcard: len(req.GetResourceNamesSubscribe()) == 0,
			names:    map[string]bool{},
			known:    maps.Clone(req.GetInitialResourceVersions()),
			probes:   map[string]bool{},
			answer:   len(req.GetInitialResourceVersions()) == 0,
		}
		if sub.known == nil {
			sub.known = map[string]string{}
		}
		st.subs[typeURL] = sub
		st.logger.Debug("delta-subscribed", lager.Data{"collection": typeURL, "initial-objects": len(sub.known)})
	}
	if sub.how == ignored {
		return
	}
	sub.update(req.GetResourceNamesSubscribe(), req.GetResourceNamesUnsubscribe())
	st.acknowledge(typeURL, sub, req)
}

// update applies subscription changes. Any change forces a full comparison
// on the next push.
func (sub *deltaSubscription) update(subscribe, unsubscribe []string) {
	for _, name := range subscribe {
		switch {
		case name == wildcardName:
			sub.wildcard = true
		case !sub.names[name]:
			sub.names[name] = true
			sub.probes[name] = true
		}
	}
	for _, name := range unsubscribe {
		if name == wildcardName {
			sub.wildcard = false
			continue
		}
		delete(sub.names, name)
		delete(sub.probes, name)
		if sub.wildcard {
			// Still wanted through the wildcard: the protocol asks the
			// server to confirm it (resend, or report it removed).
			sub.known[name] = ""
		} else {
			delete(sub.known, name)
		}
	}
	if len(subscribe)+len(unsubscribe) > 0 {
		sub.seen, sub.oversized = "", ""
	}
}

func (st *deltaStream) acknowledge(typeURL string, sub *deltaSubscription, req *discoveryv3.DeltaDiscoveryRequest) {
	nonce := req.GetResponseNonce()
	switch {
	case nonce == "":
	case nonce != sub.nonce:
		st.logger.Debug("stale-request-ignored", lager.Data{"collection": typeURL, "nonce": nonce})
	case req.GetErrorDetail() != nil:
		st.logger.Error("mcp-nack", errors.New(req.GetErrorDetail().GetMessage()), lager.Data{
			"node": st.node, "collection": typeURL, "nonce": nonce,
		})
		st.server.metrics.nacks.WithLabelValues(sub.label).Inc()
	default:
		st.logger.Debug("mcp-ack", lager.Data{"collection": typeURL, "nonce": nonce})
	}
}

// push sends what each subscription's client lacks, in type URL order,
// and then the build marker when the client subscribed to it and does not
// hold the current build's. Before the first Publish it sends nothing.
func (st *deltaStream) push() error {
	snap := st.server.snapshot()
	if snap == nil {
		return nil
	}
	for _, typeURL := range pushOrder(maps.Keys(st.subs)) {
		if err := st.pushOne(snap, typeURL, st.subs[typeURL]); err != nil {
			return err
		}
	}
	return nil
}

func (st *deltaStream) pushOne(snap *snapshot, typeURL string, sub *deltaSubscription) error {
	c := snap.of(sub.how, sub.kind)
	if c == nil {
		return nil
	}
	if sub.oversized == c.version {
		return nil // logged once; retried when the collection or subscription changes
	}
	if !sub.answer && len(sub.probes) == 0 && sub.seen == c.version {
		return nil
	}
	updated, removed := sub.diff(c)
	if len(updated) == 0 && len(removed) == 0 && !sub.answer {
		sub.seen, sub.probes = c.version, map[string]bool{}
		return nil
	}
	resp := deltaResponse(c, typeURL, updated, removed, st.server.nextNonce())
	size, ok := st.fits(resp, typeURL, sub.label, len(updated))
	if !ok {
		sub.seen, sub.oversized = "", c.version
		return nil
	}
	st.sent(sub.label, len(updated), len(removed), size) // before Send, as in sotw.go
	if err := st.grpc.Send(resp); err != nil {
		return err
	}
	sub.record(c, updated, removed, resp.Nonce)
	st.logger.Debug("pushed", lager.Data{
		"collection": typeURL, "version": c.version, "objects": len(updated), "removed": len(removed), "bytes": size, "nonce": resp.Nonce,
	})
	return nil
}

// record notes what a sent response gave the client.
func (sub *deltaSubscription) record(c *collection, updated []int, removed []string, nonce string) {
	for _, i := range updated {
		sub.known[c.keys[i]] = c.versions[i]
	}
	for _, name := range removed {
		delete(sub.known, name)
	}
	sub.seen, sub.nonce, sub.answer, sub.probes = c.version, nonce, false, map[string]bool{}
}

func deltaResponse(c *collection, typeURL string, updated []int, removed []string, nonce string) *discoveryv3.DeltaDiscoveryResponse {
	resources := make([]*discoveryv3.Resource, len(updated))
	for n, i := range updated {
		resources[n] = &discoveryv3.Resource{Name: c.keys[i], Version: c.versions[i], Resource: c.resources[i]}
	}
	return &discoveryv3.DeltaDiscoveryResponse{
		SystemVersionInfo: c.version,
		TypeUrl:           typeURL,
		Resources:         resources,
		RemovedResources:  removed,
		Nonce:             nonce,
	}
}

// diff returns the positions in c of the objects the client lacks or holds
// in another version, and the names it holds that c no longer has (or that
// it asked for by name and that do not exist), both sorted. When the client
// holds c's base, only the keys that changed since are compared.
func (sub *deltaSubscription) diff(c *collection) ([]int, []string) {
	full := sub.seen == "" || sub.seen != c.base
	candidates := c.changed
	if full {
		candidates = c.keys
	}
	var updated []int
	var removed []string
	for _, key := range candidates {
		i, exists := c.index[key]
		held, holds := sub.known[key]
		switch {
		case exists && sub.wants(key) && (!holds || held != c.versions[i]):
			updated = append(updated, i)
		case !exists && holds:
			removed = append(removed, key)
		}
	}
	if full {
		// A full comparison also finds what the client holds that c never
		// had, and forgets what it holds but no longer wants.
		for key := range sub.known {
			if _, exists := c.index[key]; !exists {
				removed = append(removed, key)
			} else if !sub.wants(key) {
				delete(sub.known, key)
			}
		}
	}
	for name := range sub.probes {
		if _, exists := c.index[name]; !exists && !slices.Contains(removed, name) {
			removed = append(removed, name)
		}
	}
	slices.Sort(updated)
	slices.Sort(removed)
	return updated, slices.Compact(removed)
}

func (sub *deltaSubscription) wants(key string) bool {
	return sub.wildcard || sub.names[key]
}
