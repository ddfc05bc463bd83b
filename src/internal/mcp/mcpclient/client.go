package mcpclient

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/prometheus/client_golang/prometheus"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshstore"
)

// Reconnect backoff bounds.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

type adsStream = grpc.BidiStreamingClient[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]

// Client is the pilot's MCP subscription to the copilot.
type Client struct {
	cfg      Config
	creds    grpc.DialOption
	logger   lager.Logger
	metrics  *metrics
	onConfig func(mesh.Config)
	node     *corev3.Node
	// kinds maps each requested type URL to its kind.
	kinds   map[string]mesh.Kind
	running atomic.Bool

	// Owned by Run.
	store    meshstore.Store
	accepted map[string]string // type URL → version of the last accepted response
}

// New builds a Client from cfg (defaults applied, then validated). creds
// carries the transport credentials (mTLS in production). onConfig receives
// the full mesh configuration once synced and after every accepted change.
func New(cfg Config, creds grpc.DialOption, logger lager.Logger, reg prometheus.Registerer, onConfig func(mesh.Config)) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mcp client config: %w", err)
	}
	if creds == nil {
		return nil, errors.New("mcp client: transport credentials are required")
	}
	if onConfig == nil {
		return nil, errors.New("mcp client: onConfig is required")
	}
	kinds := map[string]mesh.Kind{}
	for _, k := range cfg.Kinds {
		info, _ := k.Info()
		kinds[info.Collection(cfg.Version)] = k
	}
	return &Client{
		cfg:      cfg,
		creds:    creds,
		logger:   logger.Session("mcp-client"),
		metrics:  newMetrics(reg),
		onConfig: onConfig,
		node: &corev3.Node{
			Id:            cfg.NodeID,
			UserAgentName: "cf-mesh-pilot",
			Metadata:      &structpb.Struct{Fields: map[string]*structpb.Value{"GENERATOR": structpb.NewStringValue("api")}},
		},
		kinds:    kinds,
		store:    meshstore.New(cfg.Kinds),
		accepted: map[string]string{},
	}, nil
}

// Run keeps a stream to one of the copilots open until ctx is done,
// reconnecting with backoff, and returns nil then. It may be called only
// once at a time.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("mcp client: already running")
	}
	defer c.running.Store(false)

	failures := 0
	for attempt := 0; ; attempt++ {
		address := c.cfg.Addresses[attempt%len(c.cfg.Addresses)]
		received, err := c.runStream(ctx, address)
		if ctx.Err() != nil {
			c.logger.Info("stopped")
			return nil
		}
		if received {
			failures = 0
		}
		delay := backoff(failures)
		failures++
		c.logger.Error("mcp-stream-lost", err, lager.Data{"address": address, "retry-in": delay.String(), "synced": c.store.Synced()})
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			c.logger.Info("stopped")
			return nil
		case <-timer.C:
		}
	}
}

// backoff is the jittered delay before reconnect attempt failures+1. Its
// ceiling doubles from 2×minBackoff up to maxBackoff and the delay is drawn
// from the ceiling's upper half, so delays stay within [minBackoff,
// maxBackoff] and pilots do not reconnect in lockstep.
func backoff(failures int) time.Duration {
	ceiling := maxBackoff
	if failures < 10 {
		ceiling = min(2*minBackoff<<failures, maxBackoff)
	}
	return ceiling/2 + rand.N(ceiling/2+1)
}

// runStream dials address, subscribes and handles responses until the
// stream fails. received reports whether any response arrived.
func (c *Client) runStream(ctx context.Context, address string) (received bool, err error) {
	conn, err := grpc.NewClient(address, c.creds, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32)))
	if err != nil {
		return false, fmt.Errorf("dial %s: %w", address, err)
	}
	defer conn.Close()
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(streamCtx)
	if err != nil {
		return false, fmt.Errorf("open stream to %s: %w", address, err)
	}
	for _, k := range c.cfg.Kinds {
		info, _ := k.Info()
		if err := stream.Send(c.request(info.Collection(c.cfg.Version), "", "", nil)); err != nil {
			return false, fmt.Errorf("subscribe to %s at %s: %w", info.Collection(c.cfg.Version), address, err)
		}
	}
	c.logger.Info("mcp-stream-established", lager.Data{"address": address, "node": c.cfg.NodeID, "collections": len(c.cfg.Kinds)})
	c.metrics.connected.Set(1)
	defer c.metrics.connected.Set(0)

	for {
		resp, err := stream.Recv()
		if err != nil {
			return received, fmt.Errorf("receive from %s: %w", address, err)
		}
		received = true
		if err := c.handle(stream, resp); err != nil {
			return received, fmt.Errorf("answer %s: %w", address, err)
		}
	}
}

func (c *Client) request(typeURL, version, nonce string, detail *rpcstatus.Status) *discoveryv3.DiscoveryRequest {
	return &discoveryv3.DiscoveryRequest{
		Node:          c.node,
		TypeUrl:       typeURL,
		VersionInfo:   version,
		ResponseNonce: nonce,
		ErrorDetail:   detail,
	}
}
