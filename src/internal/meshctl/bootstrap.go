package meshctl

import (
	"context"
	"fmt"
	"net/netip"

	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// Defaults of `bootstrap gateway`, the gateway job's (jobs/gateway).
const (
	DefaultGatewayAdminAddress  = "127.0.0.1:15000"
	DefaultGatewayHealthAddress = "0.0.0.0:8002"
	DefaultPilotClientSecret    = "pilot-client"
	DefaultPilotCASecret        = "pilot-ca"
	DefaultTracingCluster       = "tracing-collector"
)

// gatewayFlags are `bootstrap gateway`'s flags.
type gatewayFlags struct {
	nodeIP, nodeID, nodeDomain, admin, health string
	pilots                                    stringList
	tlsServerName, tlsDir, tlsClient, tlsCA   string
	tracingAddress, tracingCluster            string
	tracingGRPC                               bool
}

func runBootstrap(_ context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "gateway" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprintln(env.Stdout, "Usage: meshctl bootstrap gateway --node-ip IP --pilot IP:PORT [...] (see `meshctl bootstrap gateway --help`)")
			return errHelpShown
		}
		return usagef("bootstrap needs a kind: `meshctl bootstrap gateway`")
	}
	f := newFlags("bootstrap gateway", "meshctl bootstrap gateway --node-ip IP --pilot IP:PORT [--pilot IP:PORT ...] [flags]")
	var g gatewayFlags
	g.register(f)
	positional, err := f.parse(env, args[1:])
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("bootstrap gateway takes only flags, got %q", positional)
	}
	opts, err := g.options(env)
	if err != nil {
		return err
	}
	b, err := gatewaybootstrap.Build(opts)
	if err != nil {
		return err
	}
	out, err := gatewaybootstrap.JSON(b)
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(append(out, '\n'))
	return err
}

// register defines the flags, with the gateway job's defaults.
func (g *gatewayFlags) register(f *flags) {
	f.StringVar(&g.nodeIP, "node-ip", "", "the gateway's IP, in its node id router~IP~ID~DOMAIN (required)")
	f.StringVar(&g.nodeID, "node-id", "", "the gateway's id in its node id (default: this host's name)")
	f.StringVar(&g.nodeDomain, "node-domain", "cf.internal", "the domain in the node id")
	f.Var(&g.pilots, "pilot", "a pilot's xDS address, ip:port; repeat or separate with commas (required)")
	f.StringVar(&g.admin, "admin", DefaultGatewayAdminAddress, "Envoy's admin listener, ip:port (keep it on loopback)")
	f.StringVar(&g.health, "health", DefaultGatewayHealthAddress, "the /health listener for load balancers, ip:port; empty for none")
	f.StringVar(&g.tlsServerName, "pilot-tls-server-name", "", "mutual TLS to the pilots: the DNS SAN their certificate carries (empty: plaintext)")
	f.StringVar(&g.tlsDir, "pilot-tls-secrets-dir", xdsresources.DefaultSecretsDirectory, "directory of the SDS files with the xDS client key pair and CA")
	f.StringVar(&g.tlsClient, "pilot-tls-client-secret", DefaultPilotClientSecret, "SDS secret (file <dir>/<name>.yaml) with the gateway's client certificate and key")
	f.StringVar(&g.tlsCA, "pilot-tls-ca-secret", DefaultPilotCASecret, "SDS secret (file <dir>/<name>.yaml) with the CA that signs the pilots' certificates")
	f.StringVar(&g.tracingAddress, "tracing-collector", "", "a trace collector's ip:port; empty for no tracing")
	f.StringVar(&g.tracingCluster, "tracing-cluster", DefaultTracingCluster, "the collector's cluster name (the pilot's gateway.tracing.collector_cluster)")
	f.BoolVar(&g.tracingGRPC, "tracing-grpc", false, "the collector speaks OpenTelemetry over gRPC (default: Zipkin over HTTP)")
}

// options checks the flags gatewaybootstrap.Build does not and turns them
// into its Options.
func (g gatewayFlags) options(env Env) (gatewaybootstrap.Options, error) {
	if g.nodeIP == "" {
		return gatewaybootstrap.Options{}, usagef("--node-ip is required")
	}
	if _, err := netip.ParseAddr(g.nodeIP); err != nil {
		return gatewaybootstrap.Options{}, usagef("--node-ip %q is not an IP address", g.nodeIP)
	}
	if len(g.pilots) == 0 {
		return gatewaybootstrap.Options{}, usagef("at least one --pilot ip:port is required")
	}
	nodeID := g.nodeID
	if nodeID == "" {
		host, err := env.Hostname()
		if err != nil || host == "" {
			return gatewaybootstrap.Options{}, usagef("--node-id is required: this host's name is unknown")
		}
		nodeID = host
	}
	opts := gatewaybootstrap.Options{
		NodeIP: g.nodeIP, NodeID: nodeID, NodeDomain: g.nodeDomain,
		Pilots: g.pilots, AdminAddress: g.admin, HealthCheckAddress: g.health,
	}
	if g.tlsServerName != "" {
		opts.PilotTLS = &gatewaybootstrap.PilotTLS{
			SecretsDirectory: g.tlsDir, ClientSecret: g.tlsClient, CASecret: g.tlsCA, ServerName: g.tlsServerName,
		}
	}
	if g.tracingAddress != "" {
		opts.Tracing = &gatewaybootstrap.TracingCollector{Cluster: g.tracingCluster, Address: g.tracingAddress, GRPC: g.tracingGRPC}
	}
	return opts, nil
}
