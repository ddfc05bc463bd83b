package mcpclient

import (
	"code.cloudfoundry.org/lager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
)

// Option configures a Client beyond its Config.
type Option func(*Client)

// WithBuildComplete subscribes the Client to the copilot's build marker
// (mcp.BuildCompleteCollection), last on every stream, and calls
// onBuildComplete from Run's goroutine each time a marker is accepted while
// the store is synced: every collection of the build it names has been
// applied and handed to onConfig by then. A copilot that does not produce
// the marker answers it once, empty; the Client then never calls
// onBuildComplete and works as without the option. A nil onBuildComplete
// leaves the option off.
func WithBuildComplete(onBuildComplete func()) Option {
	return func(c *Client) { c.onBuildComplete = onBuildComplete }
}

// marking reports whether the Client subscribes to the build marker.
func (c *Client) marking() bool {
	return c.onBuildComplete != nil
}

// subscribeMarkerSotW asks for the build marker after the collections.
func (c *Client) subscribeMarkerSotW(stream sotwStream) error {
	if !c.marking() {
		return nil
	}
	return stream.Send(c.sotwRequest(mcp.BuildCompleteCollection, "", "", nil))
}

// subscribeMarkerDelta asks for the build marker after the collections,
// declaring none held: the copilot answers at once with its current build.
func (c *Client) subscribeMarkerDelta(stream deltaStream) error {
	if !c.marking() {
		return nil
	}
	return stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: mcp.BuildCompleteCollection, ResourceNamesSubscribe: []string{"*"}})
}

// handleSotWMarker accepts or rejects a State-of-the-World marker and
// answers it.
func (c *Client) handleSotWMarker(stream sotwStream, resp *discoveryv3.DiscoveryResponse) error {
	typeURL := resp.GetTypeUrl()
	build, err := mcp.DecodeBuildComplete(resp.GetResources())
	if err != nil {
		c.rejectMarker(err, resp.GetVersionInfo())
		detail := &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: errorDetail(err)}
		return stream.Send(c.sotwRequest(typeURL, c.accepted[typeURL], resp.GetNonce(), detail))
	}
	c.accepted[typeURL] = resp.GetVersionInfo()
	c.buildComplete(build)
	return stream.Send(c.sotwRequest(typeURL, resp.GetVersionInfo(), resp.GetNonce(), nil))
}

// handleDeltaMarker accepts or rejects a Delta marker and answers it.
func (c *Client) handleDeltaMarker(stream deltaStream, resp *discoveryv3.DeltaDiscoveryResponse) error {
	entries := make([]mcp.DeltaResource, len(resp.GetResources()))
	for i, r := range resp.GetResources() {
		entries[i] = mcp.DeltaResource{Name: r.GetName(), Version: r.GetVersion(), Body: r.GetResource()}
	}
	answer := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.GetTypeUrl(), ResponseNonce: resp.GetNonce()}
	build, err := mcp.DecodeBuildCompleteDelta(entries, resp.GetRemovedResources())
	if err != nil {
		c.rejectMarker(err, resp.GetSystemVersionInfo())
		answer.ErrorDetail = &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: errorDetail(err)}
		return stream.Send(answer)
	}
	c.buildComplete(build)
	return stream.Send(answer)
}

func (c *Client) rejectMarker(err error, version string) {
	c.metrics.responses.WithLabelValues(mcp.BuildCompleteCollection, resultNACK).Inc()
	c.logger.Error("mcp-nack-sent", err, lager.Data{
		"collection": mcp.BuildCompleteCollection, "rejected-version": version, "fallback": "debounce",
	})
}

// buildComplete acts on an accepted marker: an empty one (a copilot
// without the marker) is logged, one naming a build calls onBuildComplete
// once the store is synced. Every response before it on the stream has
// been handled, so the store holds that build.
func (c *Client) buildComplete(build string) {
	c.metrics.responses.WithLabelValues(mcp.BuildCompleteCollection, resultACK).Inc()
	switch {
	case build == "":
		c.logger.Info("build-marker-not-served", lager.Data{
			"collection": mcp.BuildCompleteCollection, "fallback": "debounce",
			"reason": "the copilot answered the build marker empty: a copilot from before the marker, or another MCP server",
		})
	case !c.store.Synced():
		c.logger.Debug("build-marker-before-sync", lager.Data{"build": build, "missing": c.store.Missing()})
	default:
		c.logger.Debug("build-complete", lager.Data{"build": build, "objects": c.store.Len()})
		c.onBuildComplete()
	}
}
