package mcpserver

import (
	"errors"
	"maps"

	"code.cloudfoundry.org/lager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

type sotwStreamServer = grpc.BidiStreamingServer[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]

// sotwSubscription is the state of one requested type URL on one
// State-of-the-World stream.
type sotwSubscription struct {
	how       subscriptionKind
	kind      mesh.Kind // when how == served
	label     string    // metrics label
	sent      string    // version of the last response sent, "" if none
	nonce     string    // nonce of the last response sent
	acked     string    // version the client last accepted
	oversized string    // version found too large to send; not retried
}

// sotwStream is one client's State-of-the-World ADS stream: every response
// carries a whole collection, as istiod's adsc expects.
type sotwStream struct {
	streamBase
	grpc sotwStreamServer
	subs map[string]*sotwSubscription
}

func newSotwStream(s *Server, gs sotwStreamServer) *sotwStream {
	return &sotwStream{
		streamBase: newStreamBase(gs.Context(), s, transportSotW),
		grpc:       gs,
		subs:       map[string]*sotwSubscription{},
	}
}

// handle records what one request says: a new subscription, an ACK, a NACK,
// a re-subscription, or nothing (stale nonce).
func (st *sotwStream) handle(req *discoveryv3.DiscoveryRequest) {
	st.noteNode(req.GetNode().GetId())
	typeURL := req.GetTypeUrl()
	sub, ok := st.subs[typeURL]
	switch {
	case !ok:
		how, kind, label := st.classify(typeURL)
		st.subs[typeURL] = &sotwSubscription{how: how, kind: kind, label: label}
	case sub.how == ignored:
	case req.GetResponseNonce() == "":
		// A request without nonce asks for the current state again.
		sub.sent, sub.oversized = "", ""
	case req.GetResponseNonce() != sub.nonce:
		st.logger.Debug("stale-request-ignored", lager.Data{"collection": typeURL, "nonce": req.GetResponseNonce()})
	case req.GetErrorDetail() != nil:
		st.logger.Error("mcp-nack", errors.New(req.GetErrorDetail().GetMessage()), lager.Data{
			"node": st.node, "collection": typeURL, "version": sub.sent, "nonce": sub.nonce, "acked-version": sub.acked,
		})
		st.server.metrics.nacks.WithLabelValues(sub.label).Inc()
	default:
		sub.acked = req.GetVersionInfo()
		st.logger.Debug("mcp-ack", lager.Data{"collection": typeURL, "version": req.GetVersionInfo()})
	}
}

// push sends every subscribed collection whose current version differs
// from the one this stream last got, in type URL order, and then the build
// marker when the client subscribed to it and its last marker named another
// build. Before the first Publish it sends nothing.
func (st *sotwStream) push() error {
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

func (st *sotwStream) pushOne(snap *snapshot, typeURL string, sub *sotwSubscription) error {
	c := snap.of(sub.how, sub.kind)
	if c == nil || c.version == sub.sent || c.version == sub.oversized {
		return nil
	}
	resp := &discoveryv3.DiscoveryResponse{
		VersionInfo: c.version,
		TypeUrl:     typeURL,
		Resources:   c.resources,
		Nonce:       st.server.nextNonce(),
	}
	size, ok := st.fits(resp, typeURL, sub.label, len(c.resources))
	if !ok {
		sub.oversized = c.version
		return nil
	}
	// Counted before sending, so a client that has the response sees it
	// counted; a failed Send ends the stream anyway.
	st.sent(sub.label, len(c.resources), 0, size)
	if err := st.grpc.Send(resp); err != nil {
		return err
	}
	sub.sent, sub.nonce = c.version, resp.Nonce
	st.logger.Debug("pushed", lager.Data{"collection": typeURL, "version": c.version, "objects": len(c.resources), "bytes": size, "nonce": resp.Nonce})
	return nil
}
