package mcpserver

import (
	"errors"
	"io"
	"slices"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// meshConfigTypeURL is what istiod requests first. Answering it requires an
// istio.mesh.v1alpha1.MeshConfig body; leaving it unanswered is harmless (it
// is not part of istiod's sync gate).
const meshConfigTypeURL = "core/v1alpha1/MeshConfig"

// subscriptionKind says how a requested type URL is answered.
type subscriptionKind int

const (
	served  subscriptionKind = iota // a collection cf-mesh produces
	empty                           // a group/version/Kind cf-mesh does not produce: answered empty
	ignored                         // MeshConfig or a non-MCP type URL: never answered
)

// subscription is the state of one requested type URL on one stream.
type subscription struct {
	how   subscriptionKind
	kind  mesh.Kind // when how == served
	label string    // metrics label
	sent  string    // version of the last response sent, "" if none
	nonce string    // nonce of the last response sent
	acked string    // version the client last accepted
}

type adsStream = grpc.BidiStreamingServer[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]

// stream is one client's ADS stream. All fields but wakeCh are owned by the
// goroutine running run.
type stream struct {
	server *Server
	grpc   adsStream
	logger lager.Logger
	wakeCh chan struct{}
	node   string
	subs   map[string]*subscription
}

func newStream(s *Server, gs adsStream) *stream {
	data := lager.Data{}
	if p, ok := peer.FromContext(gs.Context()); ok {
		data["peer"] = p.Addr.String()
	}
	return &stream{
		server: s,
		grpc:   gs,
		logger: s.logger.Session("stream", data),
		wakeCh: make(chan struct{}, 1),
		subs:   map[string]*subscription{},
	}
}

// wake tells the stream a new snapshot exists. It never blocks.
func (st *stream) wake() {
	select {
	case st.wakeCh <- struct{}{}:
	default:
	}
}

func (st *stream) run() error {
	st.logger.Info("stream-opened")
	ctx := st.grpc.Context()
	requests := make(chan *discoveryv3.DiscoveryRequest)
	recvErr := make(chan error, 1)
	go func() {
		for {
			req, err := st.grpc.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case requests <- req:
			case <-ctx.Done():
				return
			}
		}
	}()

	err := st.loop(requests, recvErr)
	if err != nil {
		st.logger.Info("stream-closed", lager.Data{"node": st.node, "error": err.Error()})
		return err
	}
	st.logger.Info("stream-closed", lager.Data{"node": st.node})
	return nil
}

func (st *stream) loop(requests <-chan *discoveryv3.DiscoveryRequest, recvErr <-chan error) error {
	ctx := st.grpc.Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-st.server.shutdown:
			return errShuttingDown
		case err := <-recvErr:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case req := <-requests:
			st.handle(req)
		case <-st.wakeCh:
		}
		if err := st.push(); err != nil {
			return err
		}
	}
}

// handle records what one request says: a new subscription, an ACK, a NACK,
// a re-subscription, or nothing (stale nonce).
func (st *stream) handle(req *discoveryv3.DiscoveryRequest) {
	if st.node == "" && req.GetNode().GetId() != "" {
		st.node = req.GetNode().GetId()
		st.logger = st.logger.WithData(lager.Data{"node": st.node})
		st.logger.Info("stream-node", lager.Data{"node": st.node})
	}
	typeURL := req.GetTypeUrl()
	sub, ok := st.subs[typeURL]
	switch {
	case !ok:
		st.subscribe(typeURL)
	case sub.how == ignored:
	case req.GetResponseNonce() == "":
		// A request without nonce asks for the current state again.
		sub.sent = ""
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

// subscribe records a type URL seen for the first time on this stream.
func (st *stream) subscribe(typeURL string) {
	kind, err := mesh.ParseCollection(typeURL)
	switch {
	case err == nil:
		st.subs[typeURL] = &subscription{how: served, kind: kind, label: typeURL}
		st.logger.Debug("subscribed", lager.Data{"collection": typeURL})
	case typeURL == meshConfigTypeURL:
		st.subs[typeURL] = &subscription{how: ignored}
		st.logger.Debug("mesh-config-not-served", lager.Data{"collection": typeURL})
	case isCollectionForm(typeURL):
		st.subs[typeURL] = &subscription{how: empty, label: unknownCollection}
		st.logger.Info("unknown-collection-answered-empty", lager.Data{"collection": typeURL, "reason": err.Error()})
	default:
		st.subs[typeURL] = &subscription{how: ignored}
		st.logger.Info("unsupported-type-url-ignored", lager.Data{"type-url": typeURL})
	}
}

// isCollectionForm reports whether typeURL looks like an MCP collection,
// `group/version/Kind`.
func isCollectionForm(typeURL string) bool {
	parts := strings.Split(typeURL, "/")
	return len(parts) == 3 && parts[0] != "" && parts[1] != "" && parts[2] != ""
}

// push sends, in type URL order, every subscribed collection whose current
// version differs from the one this stream last got. Before the first
// Publish it sends nothing.
func (st *stream) push() error {
	snap := st.server.snapshot()
	if snap == nil {
		return nil
	}
	typeURLs := make([]string, 0, len(st.subs))
	for typeURL := range st.subs {
		typeURLs = append(typeURLs, typeURL)
	}
	slices.Sort(typeURLs)
	for _, typeURL := range typeURLs {
		if err := st.pushOne(snap, typeURL, st.subs[typeURL]); err != nil {
			return err
		}
	}
	return nil
}

func (st *stream) pushOne(snap *snapshot, typeURL string, sub *subscription) error {
	var c collection
	switch sub.how {
	case ignored:
		return nil
	case empty:
		c = collection{version: emptyVersion}
	case served:
		c = snap.collections[sub.kind]
	}
	if c.version == sub.sent {
		return nil
	}
	nonce := st.server.nextNonce()
	err := st.grpc.Send(&discoveryv3.DiscoveryResponse{
		VersionInfo: c.version,
		TypeUrl:     typeURL,
		Resources:   c.resources,
		Nonce:       nonce,
	})
	if err != nil {
		return err
	}
	sub.sent, sub.nonce = c.version, nonce
	st.server.metrics.pushes.WithLabelValues(sub.label).Inc()
	st.logger.Debug("pushed", lager.Data{"collection": typeURL, "version": c.version, "objects": len(c.resources), "nonce": nonce})
	return nil
}
