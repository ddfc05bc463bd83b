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
)

type deltaStream = grpc.BidiStreamingClient[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]

// runDelta subscribes to every kind over incremental ADS, declaring the
// objects the store holds (initial_resource_versions) so a copilot with the
// same content sends nothing, and handles responses until the stream fails.
func (c *Client) runDelta(ctx context.Context, conn *grpc.ClientConn, address string) (received bool, err error) {
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
	if err != nil {
		return false, fmt.Errorf("open stream to %s: %w", address, err)
	}
	declared, err := c.subscribeDelta(stream, address)
	if err != nil {
		return false, err
	}
	c.logger.Info("mcp-stream-established", lager.Data{
		"address": address, "node": c.cfg.NodeID, "collections": len(c.cfg.Kinds), "declared-objects": declared,
		"build-marker": c.marking(),
	})
	c.metrics.connected.Set(1)
	defer c.metrics.connected.Set(0)

	for {
		resp, err := stream.Recv()
		if err != nil {
			return received, fmt.Errorf("receive from %s: %w", address, err)
		}
		received = true
		if err := c.handleDelta(stream, resp); err != nil {
			return received, fmt.Errorf("answer %s: %w", address, err)
		}
	}
}

// subscribeDelta subscribes to every kind with a wildcard, declaring what
// the store holds, then to the build marker when the Client follows it. It
// returns the number of objects declared.
func (c *Client) subscribeDelta(stream deltaStream, address string) (int, error) {
	declared := 0
	for i, k := range c.cfg.Kinds {
		info, _ := k.Info()
		req := &discoveryv3.DeltaDiscoveryRequest{
			TypeUrl:                 c.cfg.CollectionOf(info),
			ResourceNamesSubscribe:  []string{"*"},
			InitialResourceVersions: c.store.Versions(k),
		}
		if i == 0 {
			req.Node = c.node // the node travels once per stream
		}
		declared += len(req.InitialResourceVersions)
		if err := stream.Send(req); err != nil {
			return declared, fmt.Errorf("subscribe to %s at %s: %w", req.TypeUrl, address, err)
		}
	}
	if err := c.subscribeMarkerDelta(stream); err != nil {
		return declared, fmt.Errorf("subscribe to %s at %s: %w", mcp.BuildCompleteCollection, address, err)
	}
	return declared, nil
}

// handleDelta applies one incremental response and answers it: every
// object that decodes is applied, one that does not keeps its last good
// version (or stays absent), and the response is then NACKed naming it.
// It returns an error only when the answer cannot be sent.
func (c *Client) handleDelta(stream deltaStream, resp *discoveryv3.DeltaDiscoveryResponse) error {
	typeURL := resp.GetTypeUrl()
	if typeURL == mcp.BuildCompleteCollection && c.marking() {
		return c.handleDeltaMarker(stream, resp)
	}
	kind, subscribed := c.kinds[typeURL]
	if !subscribed {
		c.logger.Info("unrequested-collection-ignored", lager.Data{"collection": typeURL, "version": resp.GetSystemVersionInfo()})
		return nil
	}
	c.metrics.received.WithLabelValues(typeURL, TransportDelta).Add(float64(len(resp.GetResources())))
	rejected := c.acceptDelta(kind, typeURL, resp)
	ack := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL, ResponseNonce: resp.GetNonce()}
	if rejected != nil {
		c.metrics.responses.WithLabelValues(typeURL, resultNACK).Inc()
		c.logger.Error("mcp-nack-sent", rejected, lager.Data{"collection": typeURL, "version": resp.GetSystemVersionInfo()})
		ack.ErrorDetail = &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: errorDetail(rejected)}
	} else {
		c.metrics.responses.WithLabelValues(typeURL, resultACK).Inc()
	}
	return stream.Send(ack)
}

// acceptDelta decodes resp, applies what is good and returns what was
// rejected.
func (c *Client) acceptDelta(kind mesh.Kind, typeURL string, resp *discoveryv3.DeltaDiscoveryResponse) error {
	entries := make([]mcp.DeltaResource, len(resp.GetResources()))
	for i, r := range resp.GetResources() {
		entries[i] = mcp.DeltaResource{Name: r.GetName(), Version: r.GetVersion(), Body: r.GetResource()}
	}
	d, err := mcp.DecodeDelta(typeURL, entries, resp.GetRemovedResources())
	if err != nil {
		return err
	}
	next, changed := c.store.ApplyDelta(kind, d.Updated, d.Removed)
	cfg, err := configIfChanged(next, changed)
	if err != nil {
		return fmt.Errorf("%s: %w", typeURL, err)
	}
	c.commit(next, changed, cfg, typeURL, resp.GetSystemVersionInfo(), len(d.Updated)+len(d.Removed))
	return d.Err()
}
