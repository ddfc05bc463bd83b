package routeregistry_test

// Realistic registry messages, shared by the decode tests and the fuzz seed
// corpus.
const (
	// routeEmitterMessage is what route-emitter's RegistryMessageFor
	// publishes for an app instance behind the route-integrity Envoy.
	routeEmitterMessage = `{
  "host": "10.0.16.5",
  "port": 61012,
  "tls_port": 61014,
  "uris": ["dora.apps.example.com"],
  "protocol": "http1",
  "app": "3f5a4c5e-7a3b-4b8e-9a57-1b2c3d4e5f60",
  "private_instance_id": "a9b8c7d6-e5f4-4321-8765-0fedcba98765",
  "private_instance_index": "2",
  "server_cert_domain_san": "a9b8c7d6-e5f4-4321-8765-0fedcba98765",
  "isolation_segment": "",
  "availability_zone": "z1",
  "endpoint_updated_at_ns": 1717171717000000000,
  "options": {"loadbalancing": "least-connection"},
  "tags": {
    "app_id": "3f5a4c5e-7a3b-4b8e-9a57-1b2c3d4e5f60",
    "app_name": "dora",
    "component": "route-emitter",
    "instance_id": "2",
    "organization_id": "11111111-2222-3333-4444-555555555555",
    "organization_name": "org",
    "process_id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
    "process_instance_id": "a9b8c7d6-e5f4-4321-8765-0fedcba98765",
    "process_type": "web",
    "source_id": "3f5a4c5e-7a3b-4b8e-9a57-1b2c3d4e5f60",
    "space_id": "66666666-7777-8888-9999-000000000000",
    "space_name": "space"
  }
}`

	// routeRegistrarMessage is what route_registrar publishes for the
	// Cloud Controller API: pointer ports, no app, a list of URIs.
	routeRegistrarMessage = `{"uris":["api.sys.example.com","api.sys.example.com/v3/"],"host":"10.0.1.7","port":9022,"tags":{"component":"CloudController"},"private_instance_id":"5c1e6a1a-7c1f-4a33-b0c5-3a6b0f1d2e3f","availability_zone":"z2","options":{"loadbalancing":"round-robin"}}`

	// routeRegistrarTLSMessage registers a TLS-only backend (port absent,
	// tls_port set) with a short stale threshold.
	routeRegistrarTLSMessage = `{"uris":["uaa.sys.example.com","login.sys.example.com"],"host":"10.0.1.9","port":null,"tls_port":8443,"server_cert_domain_san":"uaa.service.cf.internal","stale_threshold_in_seconds":30,"tags":{"component":"uaa"},"private_instance_id":"c0ffee00-0000-4000-8000-000000000001","allowed_sources":{"apps":["app-guid"],"any":false}}`

	// gorouterTestMessage is the example from gorouter's
	// mbus/registry_message_test.go.
	gorouterTestMessage = `{"app":"app1","uris":["test.com"],"host":"1.2.3.4","port":1234,"tags":{},"private_instance_id":"private_instance_id"}`
)

const (
	// routeEmitterInternalMessage is what route-emitter's
	// InternalEndpointRegistryMessageFor publishes on
	// service-discovery.register for instance 1 of an app with the internal
	// route backend.apps.internal.
	routeEmitterInternalMessage = `{"host":"10.255.3.4","port":0,"uris":["backend.apps.internal","1.backend.apps.internal"],"app":"3f5a4c5e-7a3b-4b8e-9a57-1b2c3d4e5f60","private_instance_index":"1","endpoint_updated_at_ns":1717171717000000000,"tags":{"component":"route-emitter"}}`

	// serviceDiscoveryControllerTestMessage is the example from the
	// service-discovery-controller's mbus/subscriber_test.go.
	serviceDiscoveryControllerTestMessage = `{
					"host": "192.168.0.1",
					"uris": ["foo.com", "0.foo.com"]
				}`
)
