package e2e_test

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// rdsName is the route configuration a listener's HTTP connection manager
// names, for API listeners (gRPC) and filter-chain listeners (Envoy) alike.
func rdsName(l *listenerv3.Listener) string {
	hcm := &hcmv3.HttpConnectionManager{}
	switch {
	case l.GetApiListener() != nil:
		if l.GetApiListener().GetApiListener().UnmarshalTo(hcm) != nil {
			return ""
		}
	case len(l.GetFilterChains()) > 0 && len(l.GetFilterChains()[0].GetFilters()) > 0:
		if l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm) != nil {
			return ""
		}
	}
	return hcm.GetRds().GetRouteConfigName()
}
