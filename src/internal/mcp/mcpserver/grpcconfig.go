package mcpserver

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
)

// Defaults for GRPCConfig. The message size defaults are sized from a
// measurement (docs/performance.md, "MCP"): with 10,000 routes of 10 app
// instances each (100,000 endpoints) the ServiceEntry collection is 10.6 MB
// in one State-of-the-World response and a Delta reconnect declares
// 0.95 MB of initial_resource_versions per collection; the defaults leave
// about six- and sixteen-fold headroom.
const (
	DefaultMaxSendMessageBytes        = 64 << 20
	DefaultMaxReceiveMessageBytes     = 16 << 20
	DefaultKeepaliveTime              = 30 * time.Second
	DefaultKeepaliveTimeout           = 10 * time.Second
	DefaultKeepaliveMinClientInterval = 10 * time.Second
)

// GRPCConfig tunes the copilot's MCP gRPC listener: message size limits and
// keepalives. It is rendered as JSON by the copilot job; zero fields take
// the defaults above.
type GRPCConfig struct {
	// MaxSendMessageBytes caps one response. A collection (SotW) or change
	// set (Delta) that would exceed it is not sent; the copilot logs
	// `mcp-response-too-large` naming the collection and its size.
	MaxSendMessageBytes int `json:"max_send_message_bytes,omitempty"`
	// MaxReceiveMessageBytes caps one request (a Delta client's reconnect
	// request lists every object it holds).
	MaxReceiveMessageBytes int `json:"max_receive_message_bytes,omitempty"`
	// KeepaliveTime is how long a connection may be idle before the copilot
	// pings the client; KeepaliveTimeout how long it then waits for the
	// answer before closing the connection and freeing the stream.
	KeepaliveTime    jsonduration.Duration `json:"keepalive_time,omitempty"`
	KeepaliveTimeout jsonduration.Duration `json:"keepalive_timeout,omitempty"`
	// KeepaliveMinClientInterval is the shortest ping interval a client may
	// use; a client that pings more often is disconnected (GOAWAY
	// too_many_pings). It must not exceed the pilots' keepalive_time.
	KeepaliveMinClientInterval jsonduration.Duration `json:"keepalive_min_client_interval,omitempty"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c GRPCConfig) WithDefaults() GRPCConfig {
	if c.MaxSendMessageBytes == 0 {
		c.MaxSendMessageBytes = DefaultMaxSendMessageBytes
	}
	if c.MaxReceiveMessageBytes == 0 {
		c.MaxReceiveMessageBytes = DefaultMaxReceiveMessageBytes
	}
	if c.KeepaliveTime == 0 {
		c.KeepaliveTime = jsonduration.Duration(DefaultKeepaliveTime)
	}
	if c.KeepaliveTimeout == 0 {
		c.KeepaliveTimeout = jsonduration.Duration(DefaultKeepaliveTimeout)
	}
	if c.KeepaliveMinClientInterval == 0 {
		c.KeepaliveMinClientInterval = jsonduration.Duration(DefaultKeepaliveMinClientInterval)
	}
	return c
}

// Validate reports every problem with c (after WithDefaults).
func (c GRPCConfig) Validate() error {
	var errs []error
	if c.MaxSendMessageBytes < 0 {
		errs = append(errs, fmt.Errorf("max_send_message_bytes: %d is negative", c.MaxSendMessageBytes))
	}
	if c.MaxReceiveMessageBytes < 0 {
		errs = append(errs, fmt.Errorf("max_receive_message_bytes: %d is negative", c.MaxReceiveMessageBytes))
	}
	// gRPC raises a server ping interval below one second to one second.
	if c.KeepaliveTime.Std() < time.Second {
		errs = append(errs, fmt.Errorf("keepalive_time: %s is below 1s", c.KeepaliveTime))
	}
	if c.KeepaliveTimeout.Std() <= 0 {
		errs = append(errs, errors.New("keepalive_timeout: must be positive"))
	}
	if c.KeepaliveMinClientInterval.Std() <= 0 {
		errs = append(errs, errors.New("keepalive_min_client_interval: must be positive"))
	}
	return errors.Join(errs...)
}

// GRPCServerOptions are the gRPC server options for c (defaults applied):
// message size limits, keepalive pings and the ping enforcement policy. Add
// transport credentials beside them, and give the Server the same c with
// WithGRPCConfig so it checks response sizes before sending.
func GRPCServerOptions(c GRPCConfig) []grpc.ServerOption {
	c = c.WithDefaults()
	return []grpc.ServerOption{
		grpc.MaxSendMsgSize(c.MaxSendMessageBytes),
		grpc.MaxRecvMsgSize(c.MaxReceiveMessageBytes),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:    c.KeepaliveTime.Std(),
			Timeout: c.KeepaliveTimeout.Std(),
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             c.KeepaliveMinClientInterval.Std(),
			PermitWithoutStream: true,
		}),
	}
}

// Option configures a Server.
type Option func(*Server)

// WithGRPCConfig makes the Server hold responses to c's
// MaxSendMessageBytes (defaults applied). Sending a larger message would
// make gRPC end the stream, so the Server logs and skips it instead.
func WithGRPCConfig(c GRPCConfig) Option {
	return func(s *Server) {
		s.maxResponseBytes = c.WithDefaults().MaxSendMessageBytes
	}
}
