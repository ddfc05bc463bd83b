package mcpclient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshstore"
)

// Reconnect backoff bounds.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// maxErrorDetail bounds the message of a NACK, which may name many objects.
const maxErrorDetail = 4096

// Client is the pilot's MCP subscription to the copilot.
type Client struct {
	cfg      Config
	creds    grpc.DialOption
	logger   lager.Logger
	metrics  *metrics
	onConfig func(mesh.Config)
	// onBuildComplete, when set, subscribes to the build marker
	// (WithBuildComplete).
	onBuildComplete func()
	node            *corev3.Node
	// kinds maps each requested type URL to its kind.
	kinds   map[string]mesh.Kind
	running atomic.Bool

	// Owned by Run.
	store    meshstore.Store
	accepted map[string]string // SotW: type URL → version of the last accepted response
}

// New builds a Client from cfg (defaults applied, then validated). creds
// carries the transport credentials (mTLS in production). onConfig receives
// the full mesh configuration once synced and after every accepted change.
func New(cfg Config, creds grpc.DialOption, logger lager.Logger, reg prometheus.Registerer, onConfig func(mesh.Config), opts ...Option) (*Client, error) {
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
		kinds[cfg.CollectionOf(info)] = k
	}
	c := &Client{
		cfg:      cfg,
		creds:    creds,
		logger:   logger.Session("mcp-client", lager.Data{"transport": cfg.Transport}),
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
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
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
		c.reportLoss(address, delay, err)
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

func (c *Client) reportLoss(address string, delay time.Duration, err error) {
	if status.Code(err) == codes.ResourceExhausted {
		c.logger.Error("mcp-message-too-large", err, lager.Data{
			"address": address, "max-receive-message-bytes": c.cfg.MaxReceiveMessageBytes,
			"hint": "raise the pilot's max_receive_message_bytes (and the copilot's max_send_message_bytes)",
		})
	}
	c.logger.Error("mcp-stream-lost", err, lager.Data{"address": address, "retry-in": delay.String(), "synced": c.store.Synced()})
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

// runStream dials address and runs one stream of the configured transport
// until it fails. received reports whether any response arrived.
func (c *Client) runStream(ctx context.Context, address string) (received bool, err error) {
	conn, err := grpc.NewClient(address, c.creds,
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(c.cfg.MaxReceiveMessageBytes)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                c.cfg.KeepaliveTime.Std(),
			Timeout:             c.cfg.KeepaliveTimeout.Std(),
			PermitWithoutStream: true,
		}))
	if err != nil {
		return false, fmt.Errorf("dial %s: %w", address, err)
	}
	defer conn.Close()
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.cfg.Transport == TransportSotW {
		return c.runSotW(streamCtx, conn, address)
	}
	received, err = c.runDelta(streamCtx, conn, address)
	if !received && status.Code(err) == codes.Unimplemented && ctx.Err() == nil {
		// Version skew: a copilot older than incremental MCP answers Delta
		// with Unimplemented. State of the World serves the same world; the
		// next connection tries Delta again, in case that copilot was
		// upgraded meanwhile.
		c.logger.Info("copilot-speaks-sotw-only", lager.Data{"address": address, "reason": err.Error()})
		c.metrics.sotwFallbacks.Inc()
		return c.runSotW(streamCtx, conn, address)
	}
	return received, err
}

// commit makes next the current store after an accepted response and
// hands the Config on when it changed and the store is synced.
func (c *Client) commit(next meshstore.Store, changed bool, cfg mesh.Config, typeURL, version string, objects int) {
	wasSynced := c.store.Synced()
	c.store = next
	c.metrics.lastUpdate.Set(float64(time.Now().UnixNano()) / 1e9)
	if changed {
		c.logger.Info("collection-accepted", lager.Data{"collection": typeURL, "version": version, "objects": objects})
	}
	if changed && next.Synced() {
		if !wasSynced {
			c.logger.Info("mesh-synced", lager.Data{"objects": cfg.Len()})
		}
		c.onConfig(cfg)
	}
}

// configIfChanged returns next's Config when it is synced and changed.
func configIfChanged(next meshstore.Store, changed bool) (mesh.Config, error) {
	if !changed || !next.Synced() {
		return mesh.Config{}, nil
	}
	return next.Config()
}

// errorDetail bounds a NACK message.
func errorDetail(err error) string {
	msg := err.Error()
	if len(msg) > maxErrorDetail {
		msg = msg[:maxErrorDetail] + " …(truncated)"
	}
	return msg
}
