package mcpclient

import (
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshstore"
)

// handle accepts or rejects one response and answers it. It returns an
// error only when the answer cannot be sent.
func (c *Client) handle(stream adsStream, resp *discoveryv3.DiscoveryResponse) error {
	typeURL := resp.GetTypeUrl()
	kind, subscribed := c.kinds[typeURL]
	if !subscribed {
		c.logger.Info("unrequested-collection-ignored", lager.Data{"collection": typeURL, "version": resp.GetVersionInfo()})
		return nil
	}
	next, changed, cfg, err := c.accept(kind, typeURL, resp)
	if err != nil {
		c.metrics.responses.WithLabelValues(typeURL, resultNACK).Inc()
		c.logger.Error("mcp-nack-sent", err, lager.Data{
			"collection": typeURL, "rejected-version": resp.GetVersionInfo(), "kept-version": c.accepted[typeURL],
		})
		detail := &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: err.Error()}
		return stream.Send(c.request(typeURL, c.accepted[typeURL], resp.GetNonce(), detail))
	}

	wasSynced := c.store.Synced()
	c.store = next
	c.accepted[typeURL] = resp.GetVersionInfo()
	c.metrics.responses.WithLabelValues(typeURL, resultACK).Inc()
	c.metrics.lastUpdate.Set(float64(time.Now().UnixNano()) / 1e9)
	if changed {
		c.logger.Info("collection-accepted", lager.Data{"collection": typeURL, "version": resp.GetVersionInfo(), "objects": len(resp.GetResources())})
	}
	if changed && next.Synced() {
		if !wasSynced {
			c.logger.Info("mesh-synced", lager.Data{"objects": cfg.Len()})
		}
		c.onConfig(cfg)
	}
	return stream.Send(c.request(typeURL, resp.GetVersionInfo(), resp.GetNonce(), nil))
}

// accept decodes resp and applies it to a copy of the store. cfg is set when
// the result is synced and changed.
func (c *Client) accept(kind mesh.Kind, typeURL string, resp *discoveryv3.DiscoveryResponse) (meshstore.Store, bool, mesh.Config, error) {
	resources, err := mcp.DecodeCollection(typeURL, resp.GetResources())
	if err != nil {
		return c.store, false, mesh.Config{}, err
	}
	next, changed := c.store.Apply(kind, resources)
	if !changed || !next.Synced() {
		return next, changed, mesh.Config{}, nil
	}
	cfg, err := next.Config()
	if err != nil {
		return c.store, false, mesh.Config{}, fmt.Errorf("%s: %w", typeURL, err)
	}
	return next, true, cfg, nil
}
