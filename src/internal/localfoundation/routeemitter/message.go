package routeemitter

import (
	"encoding/json"
	"strconv"
)

// Message is a registry message as route-emitter writes it
// (route-emitter `routingtable.RegistryMessage`), with its own JSON field
// names and omitempty choices. It deliberately does not reuse the copilot's
// decoder types, so a test that sends Messages to the copilot catches any
// mismatch between our decoder and the wire format.
type Message struct {
	Host                 string            `json:"host"`
	Port                 uint32            `json:"port"`
	TLSPort              uint32            `json:"tls_port,omitempty"`
	URIs                 []string          `json:"uris"`
	Protocol             string            `json:"protocol,omitempty"`
	App                  string            `json:"app,omitempty"`
	RouteServiceURL      string            `json:"route_service_url,omitempty"`
	PrivateInstanceID    string            `json:"private_instance_id,omitempty"`
	PrivateInstanceIndex string            `json:"private_instance_index,omitempty"`
	ServerCertDomainSAN  string            `json:"server_cert_domain_san,omitempty"`
	IsolationSegment     string            `json:"isolation_segment,omitempty"`
	EndpointUpdatedAtNs  int64             `json:"endpoint_updated_at_ns,omitempty"`
	Tags                 map[string]string `json:"tags,omitempty"`
	AvailabilityZone     string            `json:"availability_zone,omitempty"`
	Options              json.RawMessage   `json:"options,omitempty"`
	// StaleThresholdInSeconds is not sent by route-emitter (route_registrar
	// and gorouter know it); tests use it to shorten pruning.
	StaleThresholdInSeconds int `json:"stale_threshold_in_seconds,omitempty"`
}

// AppInstance describes one running instance of a CF app process on a
// Diego cell, as route-emitter sees it in BBS.
type AppInstance struct {
	// CellIP is the cell's IP; route-emitter registers it as `host`.
	CellIP string
	// HostPort is the cell port mapped to the app's container port.
	HostPort uint32
	// TLSHostPort is the cell port mapped to the instance's Envoy TLS
	// proxy (container port 61001); 0 when the proxy is disabled.
	TLSHostPort uint32
	// ContainerIP is the instance's overlay IP, which internal routes
	// register.
	ContainerIP string

	AppGUID      string
	AppName      string
	ProcessGUID  string
	ProcessType  string // default "web"
	InstanceGUID string
	Index        int
	SpaceGUID    string
	SpaceName    string
	OrgGUID      string
	OrgName      string

	IsolationSegment string
	AvailabilityZone string
	// Protocol is the route destination's protocol (default "http1").
	Protocol        string
	RouteServiceURL string
	// Options is the route's options object from Cloud Controller, e.g.
	// `{"loadbalancing":"least-connection"}`.
	Options json.RawMessage
}

// NewAppInstanceMessage builds the message route-emitter publishes for one
// route (uri) of an app instance (`RegistryMessageFor`): one URI per
// message, the instance GUID as `private_instance_id` and
// `server_cert_domain_san`, the index as a string, and Cloud Controller's
// metric tags plus `component: route-emitter`.
func NewAppInstanceMessage(inst AppInstance, uri string) Message {
	processType := inst.ProcessType
	if processType == "" {
		processType = "web"
	}
	protocol := inst.Protocol
	if protocol == "" {
		protocol = "http1"
	}
	index := strconv.Itoa(inst.Index)
	tags := map[string]string{"component": "route-emitter", "process_type": processType, "instance_id": index}
	for key, value := range map[string]string{
		"source_id": inst.AppGUID, "app_id": inst.AppGUID, "app_name": inst.AppName,
		"process_id": inst.ProcessGUID, "process_instance_id": inst.InstanceGUID,
		"space_id": inst.SpaceGUID, "space_name": inst.SpaceName,
		"organization_id": inst.OrgGUID, "organization_name": inst.OrgName,
	} {
		if value != "" {
			tags[key] = value
		}
	}
	return Message{
		Host:                 inst.CellIP,
		Port:                 inst.HostPort,
		TLSPort:              inst.TLSHostPort,
		URIs:                 []string{uri},
		Protocol:             protocol,
		App:                  inst.AppGUID,
		RouteServiceURL:      inst.RouteServiceURL,
		PrivateInstanceID:    inst.InstanceGUID,
		PrivateInstanceIndex: index,
		ServerCertDomainSAN:  inst.InstanceGUID,
		IsolationSegment:     inst.IsolationSegment,
		Tags:                 tags,
		AvailabilityZone:     inst.AvailabilityZone,
		Options:              inst.Options,
	}
}

// NewInternalRouteMessage builds the message route-emitter publishes on
// service-discovery.register for one internal route (hostname, e.g.
// `backend.apps.internal`) of an app instance
// (`InternalEndpointRegistryMessageFor`): the container IP as host, port 0
// (written, as route-emitter's port has no omitempty), the hostname and
// `<index>.<hostname>` as URIs, the app GUID, the index as a string, and
// only `component: route-emitter` as tags. No instance GUID.
func NewInternalRouteMessage(inst AppInstance, hostname string) Message {
	index := strconv.Itoa(inst.Index)
	return Message{
		Host:                 inst.ContainerIP,
		URIs:                 []string{hostname, index + "." + hostname},
		App:                  inst.AppGUID,
		PrivateInstanceIndex: index,
		Tags:                 map[string]string{"component": "route-emitter"},
	}
}

// key identifies a registration: the same backend for the same URIs.
// Registering a message with the same key replaces the earlier one.
func (m Message) key() string {
	b, _ := json.Marshal(struct {
		Host    string
		Port    uint32
		TLSPort uint32
		URIs    []string
	}{m.Host, m.Port, m.TLSPort, m.URIs})
	return string(b)
}
