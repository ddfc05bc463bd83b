package xdsresources

import (
	"sort"
	"strings"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/proto"
)

// ConfigDump is what a proxy of class is served, in Envoy's admin
// `config_dump` shape (listeners, route configurations, clusters,
// endpoints; names sorted), so operators read it with the tools they use
// for Envoy. own holds the proxy's own listeners and routes (a container
// sidecar's, a proxyless server's). versions, by type (`Listener`,
// `RouteConfiguration`, `Cluster`, `ClusterLoadAssignment`), fill
// version_info.
func ConfigDump(res Resources, class Class, own NodeResources, versions map[string]string) (*adminv3.ConfigDump, error) {
	listeners, clusters, endpoints := asMessages(res.GatewayListeners), asMessages(res.GatewayClusters), asMessages(res.GatewayEndpoints)
	routes := map[string]proto.Message{}
	switch class {
	case ClassMesh:
		listeners, clusters, endpoints = asMessages(res.MeshListeners), asMessages(res.MeshClusters), asMessages(res.MeshEndpoints)
		for name, rc := range res.Routes {
			if strings.HasPrefix(name, "outbound|") {
				routes[name] = rc
			}
		}
	case ClassSidecar:
		listeners, clusters, endpoints = map[string]proto.Message{}, asMessages(res.SidecarClusters), asMessages(res.SidecarEndpoints)
	default:
		for name, rc := range res.Routes {
			if !strings.HasPrefix(name, "outbound|") && !strings.HasPrefix(name, "inbound|") {
				routes[name] = rc
			}
		}
	}
	for name, l := range own.Listeners {
		listeners[name] = l
	}
	for name, rc := range own.Routes {
		routes[name] = rc
	}
	dump := &adminv3.ConfigDump{}
	for _, section := range []func() (proto.Message, error){
		func() (proto.Message, error) { return listenersDump(listeners, versions["Listener"]) },
		func() (proto.Message, error) { return routesDump(routes, versions["RouteConfiguration"]) },
		func() (proto.Message, error) { return clustersDump(clusters, versions["Cluster"]) },
		func() (proto.Message, error) { return endpointsDump(endpoints, versions["ClusterLoadAssignment"]) },
	} {
		m, err := section()
		if err != nil {
			return nil, err
		}
		a, err := toAny(m)
		if err != nil {
			return nil, err
		}
		dump.Configs = append(dump.Configs, a)
	}
	return dump, nil
}

func listenersDump(listeners map[string]proto.Message, version string) (proto.Message, error) {
	d := &adminv3.ListenersConfigDump{VersionInfo: version}
	return d, eachSorted(listeners, func(name string, a anyMessage) {
		d.DynamicListeners = append(d.DynamicListeners, &adminv3.ListenersConfigDump_DynamicListener{
			Name: name, ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: version, Listener: a},
		})
	})
}

func routesDump(routes map[string]proto.Message, version string) (proto.Message, error) {
	d := &adminv3.RoutesConfigDump{}
	return d, eachSorted(routes, func(_ string, a anyMessage) {
		d.DynamicRouteConfigs = append(d.DynamicRouteConfigs, &adminv3.RoutesConfigDump_DynamicRouteConfig{VersionInfo: version, RouteConfig: a})
	})
}

func clustersDump(clusters map[string]proto.Message, version string) (proto.Message, error) {
	d := &adminv3.ClustersConfigDump{VersionInfo: version}
	return d, eachSorted(clusters, func(_ string, a anyMessage) {
		d.DynamicActiveClusters = append(d.DynamicActiveClusters, &adminv3.ClustersConfigDump_DynamicCluster{VersionInfo: version, Cluster: a})
	})
}

func endpointsDump(endpoints map[string]proto.Message, version string) (proto.Message, error) {
	d := &adminv3.EndpointsConfigDump{}
	return d, eachSorted(endpoints, func(_ string, a anyMessage) {
		d.DynamicEndpointConfigs = append(d.DynamicEndpointConfigs, &adminv3.EndpointsConfigDump_DynamicEndpointConfig{VersionInfo: version, EndpointConfig: a})
	})
}

// eachSorted packs every message, in name order, and hands it to add.
func eachSorted(messages map[string]proto.Message, add func(name string, a anyMessage)) error {
	names := make([]string, 0, len(messages))
	for name := range messages {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a, err := toAny(messages[name])
		if err != nil {
			return err
		}
		add(name, a)
	}
	return nil
}

func asMessages[T proto.Message](m map[string]T) map[string]proto.Message {
	out := make(map[string]proto.Message, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
