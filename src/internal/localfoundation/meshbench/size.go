package meshbench

import "fmt"

// Size is how big a foundation and its fleet of proxies are.
type Size struct {
	// Name labels the size in the report ("full", "quick", "tiny").
	Name string `json:"name"`
	// Routes are Cloud Controller routes (one app each, a canary app on
	// every twentieth); Endpoints are running app instances, each
	// registered once over NATS.
	Routes    int `json:"routes"`
	Endpoints int `json:"endpoints"`
	// The simulated proxies: ingress gateways over State of the World and
	// Delta ADS, proxyless gRPC clients (SotW, named subscriptions), and
	// container sidecars over SotW and Delta (wildcard, like Envoy).
	GatewaysSotW  int `json:"gateways_sotw"`
	GatewaysDelta int `json:"gateways_delta"`
	Proxyless     int `json:"proxyless"`
	SidecarsSotW  int `json:"sidecars_sotw"`
	SidecarsDelta int `json:"sidecars_delta"`
	// HostsPerProxyless is how many hosts each proxyless client dials.
	HostsPerProxyless int `json:"hosts_per_proxyless"`
}

// The sizes of issue 8.
var (
	// Full is the target: 10k routes, 100k endpoints, 1k proxies.
	Full = Size{Name: "full", Routes: 10_000, Endpoints: 100_000,
		GatewaysSotW: 10, GatewaysDelta: 10, Proxyless: 480, SidecarsSotW: 250, SidecarsDelta: 250, HostsPerProxyless: 3}
	// Large is the full foundation with a fifth of the fleet, for quicker
	// and steadier runs (it was the largest this 2-core, 23 GiB machine
	// held until the pilot kept less per proxy; docs/performance.md,
	// "Scale").
	Large = Size{Name: "large", Routes: 10_000, Endpoints: 100_000,
		GatewaysSotW: 4, GatewaysDelta: 4, Proxyless: 96, SidecarsSotW: 48, SidecarsDelta: 48, HostsPerProxyless: 3}
	// Quick is a tenth of it, for a run of a few minutes.
	Quick = Size{Name: "quick", Routes: 1_000, Endpoints: 10_000,
		GatewaysSotW: 2, GatewaysDelta: 2, Proxyless: 48, SidecarsSotW: 24, SidecarsDelta: 24, HostsPerProxyless: 3}
	// Tiny runs in seconds, for the smoke test.
	Tiny = Size{Name: "tiny", Routes: 20, Endpoints: 60,
		GatewaysSotW: 1, GatewaysDelta: 1, Proxyless: 2, SidecarsSotW: 1, SidecarsDelta: 1, HostsPerProxyless: 2}
)

// Proxies is the number of simulated proxies.
func (s Size) Proxies() int {
	return s.GatewaysSotW + s.GatewaysDelta + s.Proxyless + s.SidecarsSotW + s.SidecarsDelta
}

// Validate checks that the size makes a foundation.
func (s Size) Validate() error {
	if s.Routes < 1 || s.Endpoints < s.Routes {
		return fmt.Errorf("size %q: want at least one route and one endpoint per route, got %d routes, %d endpoints", s.Name, s.Routes, s.Endpoints)
	}
	for name, n := range map[string]int{"gateways_sotw": s.GatewaysSotW, "gateways_delta": s.GatewaysDelta, "proxyless": s.Proxyless,
		"sidecars_sotw": s.SidecarsSotW, "sidecars_delta": s.SidecarsDelta, "hosts_per_proxyless": s.HostsPerProxyless} {
		if n < 0 {
			return fmt.Errorf("size %q: %s must not be negative", s.Name, name)
		}
	}
	if s.GatewaysSotW+s.GatewaysDelta == 0 {
		return fmt.Errorf("size %q: at least one gateway is needed to measure a weight change", s.Name)
	}
	return nil
}

// SizeNamed returns a preset by name.
func SizeNamed(name string) (Size, error) {
	for _, s := range []Size{Full, Large, Quick, Tiny} {
		if s.Name == name {
			return s, nil
		}
	}
	return Size{}, fmt.Errorf("unknown size %q: full, large, quick or tiny", name)
}
