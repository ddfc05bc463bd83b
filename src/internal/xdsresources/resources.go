package xdsresources

import (
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// Resources is everything the pilot serves, by cache. Maps are keyed by
// resource name.
type Resources struct {
	// GatewayListeners go to ingress gateways only.
	GatewayListeners map[string]*listenerv3.Listener
	// MeshListeners go to mesh clients only.
	MeshListeners map[string]*listenerv3.Listener
	// Routes, Clusters and Endpoints are shared by every class.
	Routes    map[string]*routev3.RouteConfiguration
	Clusters  map[string]*clusterv3.Cluster
	Endpoints map[string]*endpointv3.ClusterLoadAssignment
}

// Options tune the translation.
type Options struct {
	// GatewayBindAddress is the address gateway listeners bind to.
	GatewayBindAddress string
	// ConnectTimeoutMillis is the upstream connect timeout.
	ConnectTimeoutMillis int64
}

// Defaults for Options.
const (
	DefaultGatewayBindAddress   = "0.0.0.0"
	DefaultConnectTimeoutMillis = 1000
)

func (o Options) withDefaults() Options {
	if o.GatewayBindAddress == "" {
		o.GatewayBindAddress = DefaultGatewayBindAddress
	}
	if o.ConnectTimeoutMillis == 0 {
		o.ConnectTimeoutMillis = DefaultConnectTimeoutMillis
	}
	return o
}

// validatable is what every generated Envoy message implements.
type validatable interface {
	proto.Message
	ValidateAll() error
}

// Translate builds the resources of every class from the IR. Resources that
// fail validation are left out and reported.
func Translate(ir envoyir.IR, opts Options) (Resources, []error) {
	opts = opts.withDefaults()
	res := Resources{
		GatewayListeners: map[string]*listenerv3.Listener{},
		MeshListeners:    map[string]*listenerv3.Listener{},
		Routes:           map[string]*routev3.RouteConfiguration{},
		Clusters:         map[string]*clusterv3.Cluster{},
		Endpoints:        map[string]*endpointv3.ClusterLoadAssignment{},
	}
	var errs []error
	for _, l := range ir.GatewayListeners {
		listener, err := gatewayListener(l, opts)
		errs = addBuilt(res.GatewayListeners, listener, err, errs)
		errs = addValid(res.Routes, gatewayRouteConfiguration(l), errs)
	}
	for _, h := range ir.MeshHosts {
		listeners, err := meshListeners(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("mesh listeners for %s: %w", h.Name, err))
		}
		for _, l := range listeners {
			errs = addValid(res.MeshListeners, l, errs)
		}
		for _, rc := range meshRouteConfigurations(h) {
			errs = addValid(res.Routes, rc, errs)
		}
	}
	for _, c := range ir.Clusters {
		built, err := cluster(c, opts)
		errs = addBuilt(res.Clusters, built, err, errs)
	}
	for _, la := range ir.LoadAssignments {
		errs = addValid(res.Endpoints, loadAssignment(la), errs)
	}
	return res, errs
}

// addBuilt is addValid for a resource whose construction could fail.
func addBuilt[T validatable](into map[string]T, r T, buildErr error, errs []error) []error {
	if buildErr != nil {
		return append(errs, fmt.Errorf("%T: %w", r, buildErr))
	}
	return addValid(into, r, errs)
}

type named interface {
	validatable
	GetName() string
}

// addValid stores r under its name when it validates and is not a
// duplicate, and appends the reason to errs otherwise.
func addValid[T validatable](into map[string]T, r T, errs []error) []error {
	name := resourceName(r)
	if err := r.ValidateAll(); err != nil {
		return append(errs, fmt.Errorf("%T %s is invalid and was not served: %w", r, name, err))
	}
	if _, dup := into[name]; dup {
		return append(errs, fmt.Errorf("%T %s is generated twice; the second was dropped", r, name))
	}
	into[name] = r
	return errs
}

func resourceName(r proto.Message) string {
	switch m := r.(type) {
	case *endpointv3.ClusterLoadAssignment:
		return m.GetClusterName()
	case named:
		return m.GetName()
	}
	return ""
}
