package mcpserver

import (
	"context"
	"errors"
	"io"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
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
	marker                          // the build marker (mcp.BuildCompleteCollection): sent last in a push
	empty                           // a group/version/Kind cf-mesh does not produce: answered empty
	ignored                         // MeshConfig or a non-MCP type URL: never answered
)

// streamBase is what SotW and Delta streams share. All fields but wakeCh
// are owned by the goroutine running serve.
type streamBase struct {
	server    *Server
	logger    lager.Logger
	transport string
	wakeCh    chan struct{}
	node      string
}

func newStreamBase(ctx context.Context, s *Server, transport string) streamBase {
	data := lager.Data{"transport": transport}
	if p, ok := peer.FromContext(ctx); ok {
		data["peer"] = p.Addr.String()
	}
	return streamBase{
		server:    s,
		logger:    s.logger.Session("stream", data),
		transport: transport,
		wakeCh:    make(chan struct{}, 1),
	}
}

// noteNode records the client's node id from the first request carrying it.
func (b *streamBase) noteNode(id string) {
	if b.node != "" || id == "" {
		return
	}
	b.node = id
	b.logger = b.logger.WithData(lager.Data{"node": id})
	b.logger.Info("stream-node", lager.Data{"node": id})
}

// classify says how typeURL is answered and logs the decision.
func (b *streamBase) classify(typeURL string) (subscriptionKind, mesh.Kind, string) {
	if typeURL == mcp.BuildCompleteCollection {
		b.logger.Info("subscribed-build-marker", lager.Data{"collection": typeURL})
		return marker, "", typeURL
	}
	kind, err := mesh.ParseCollection(typeURL)
	switch {
	case err == nil:
		b.logger.Debug("subscribed", lager.Data{"collection": typeURL})
		return served, kind, typeURL
	case typeURL == meshConfigTypeURL:
		b.logger.Debug("mesh-config-not-served", lager.Data{"collection": typeURL})
	case isCollectionForm(typeURL):
		b.logger.Info("unknown-collection-answered-empty", lager.Data{"collection": typeURL, "reason": err.Error()})
		return empty, "", unknownCollection
	default:
		b.logger.Info("unsupported-type-url-ignored", lager.Data{"type-url": typeURL})
	}
	return ignored, "", ""
}

// isCollectionForm reports whether typeURL looks like an MCP collection,
// `group/version/Kind`.
func isCollectionForm(typeURL string) bool {
	parts := strings.Split(typeURL, "/")
	return len(parts) == 3 && parts[0] != "" && parts[1] != "" && parts[2] != ""
}

// fits reports whether resp is within the response size limit, logging
// and counting it when it is not: gRPC would end the stream on sending it.
func (b *streamBase) fits(resp proto.Message, typeURL, label string, objects int) (int, bool) {
	size := proto.Size(resp)
	if size <= b.server.maxResponseBytes {
		return size, true
	}
	b.logger.Error("mcp-response-too-large", errors.New("response exceeds max_send_message_bytes; not sent"), lager.Data{
		"collection": typeURL, "bytes": size, "max-send-message-bytes": b.server.maxResponseBytes, "objects": objects,
		"hint": "raise the copilot's max_send_message_bytes and the pilots' max_receive_message_bytes",
	})
	b.server.metrics.oversized.WithLabelValues(label).Inc()
	return size, false
}

// sent counts one response.
func (b *streamBase) sent(label string, objects, removed, bytes int) {
	b.server.metrics.pushes.WithLabelValues(label).Inc()
	b.server.metrics.resources.WithLabelValues(label, b.transport).Add(float64(objects))
	b.server.metrics.removals.WithLabelValues(label).Add(float64(removed))
	b.server.metrics.bytes.WithLabelValues(label, b.transport).Add(float64(bytes))
}

// serve runs one stream: requests are received on their own goroutine and
// handled in order on this one; after each request or wake-up, push sends
// what the client lacks. A slow client blocks only its own push.
func serve[Req any](ctx context.Context, b *streamBase, recv func() (Req, error), handle func(Req), push func() error) error {
	b.logger.Info("stream-opened")
	requests := make(chan Req)
	recvErr := make(chan error, 1)
	go func() {
		for {
			req, err := recv()
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
	err := loop(ctx, b, requests, recvErr, handle, push)
	if err != nil {
		b.logger.Info("stream-closed", lager.Data{"node": b.node, "error": err.Error()})
		return err
	}
	b.logger.Info("stream-closed", lager.Data{"node": b.node})
	return nil
}

func loop[Req any](ctx context.Context, b *streamBase, requests <-chan Req, recvErr <-chan error, handle func(Req), push func() error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-b.server.shutdown:
			return errShuttingDown
		case err := <-recvErr:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case req := <-requests:
			handle(req)
		case <-b.wakeCh:
		}
		if err := push(); err != nil {
			return err
		}
	}
}
