package mcpclient

import (
	"context"
	"fmt"

	"code.cloudfoundry.org/lager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshstore"
)

type sotwStream = grpc.BidiStreamingClient[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]

// runSotW subscribes to every kind over State-of-the-World ADS and handles
// responses until the stream fails.
func (c *Client) runSotW(ctx context.Context, conn *grpc.ClientConn, address string) (received bool, err error) {
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return false, fmt.Errorf("open stream to %s: %w", address, err)
	}
	for _, k := range c.cfg.Kinds {
		info, _ := k.Info()
		if err := stream.Send(c.sotwRequest(c.cfg.CollectionOf(info), "", "", nil)); err != nil {
			return false, fmt.Errorf("subscribe to %s at %s: %w", c.cfg.CollectionOf(info), address, err)
		}
	}
	if err := c.subscribeMarkerSotW(stream); err != nil {
		return false, fmt.Errorf("subscribe to %s at %s: %w", mcp.BuildCompleteCollection, address, err)
	}
	c.logger.Info("mcp-stream-established", lager.Data{
		"address": address, "node": c.cfg.NodeID, "collections": len(c.cfg.Kinds), "build-marker": c.marking(),
	})
	c.metrics.connected.Set(1)
	defer c.metrics.connected.Set(0)

	for {
		resp, err := stream.Recv()
		if err != nil {
			return received, fmt.Errorf("receive from %s: %w", address, err)
		}
		received = true
		if err := c.handleSotW(stream, resp); err != nil {
			return received, fmt.Errorf("answer %s: %w", address, err)
		}
	}
}

func (c *Client) sotwRequest(typeURL, version, nonce string, detail *rpcstatus.Status) *discoveryv3.DiscoveryRequest {
	return &discoveryv3.DiscoveryRequest{
		Node:          c.node,
		TypeUrl:       typeURL,
		VersionInfo:   version,
		ResponseNonce: nonce,
		ErrorDetail:   detail,
	}
}

// handleSotW accepts or rejects one whole collection and answers it. It
// returns an error only when the answer cannot be sent.
func (c *Client) handleSotW(stream sotwStream, resp *discoveryv3.DiscoveryResponse) error {
	typeURL := resp.GetTypeUrl()
	if typeURL == mcp.BuildCompleteCollection && c.marking() {
		return c.handleSotWMarker(stream, resp)
	}
	kind, subscribed := c.kinds[typeURL]
	if !subscribed {
		c.logger.Info("unrequested-collection-ignored", lager.Data{"collection": typeURL, "version": resp.GetVersionInfo()})
		return nil
	}
	c.metrics.received.WithLabelValues(typeURL, TransportSotW).Add(float64(len(resp.GetResources())))
	next, changed, cfg, err := c.acceptSotW(kind, typeURL, resp)
	if err != nil {
		c.metrics.responses.WithLabelValues(typeURL, resultNACK).Inc()
		c.logger.Error("mcp-nack-sent", err, lager.Data{
			"collection": typeURL, "rejected-version": resp.GetVersionInfo(), "kept-version": c.accepted[typeURL],
		})
		detail := &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: errorDetail(err)}
		return stream.Send(c.sotwRequest(typeURL, c.accepted[typeURL], resp.GetNonce(), detail))
	}
	c.accepted[typeURL] = resp.GetVersionInfo()
	c.metrics.responses.WithLabelValues(typeURL, resultACK).Inc()
	c.commit(next, changed, cfg, typeURL, resp.GetVersionInfo(), len(resp.GetResources()))
	return stream.Send(c.sotwRequest(typeURL, resp.GetVersionInfo(), resp.GetNonce(), nil))
}

// acceptSotW decodes resp and applies it to a copy of the store. cfg is set
// when the result is synced and changed.
func (c *Client) acceptSotW(kind mesh.Kind, typeURL string, resp *discoveryv3.DiscoveryResponse) (meshstore.Store, bool, mesh.Config, error) {
	resources, err := mcp.DecodeCollection(typeURL, resp.GetResources())
	if err != nil {
		return c.store, false, mesh.Config{}, err
	}
	next, changed := c.store.Apply(kind, resources)
	cfg, err := configIfChanged(next, changed)
	if err != nil {
		return c.store, false, mesh.Config{}, fmt.Errorf("%s: %w", typeURL, err)
	}
	return next, changed, cfg, nil
}
