# frozen_string_literal: true

# One example deployment of the three jobs, linked the way
# manifests/add-cf-mesh.yml links them: each job's rendered example
# (spec/fixtures/rendered/) comes from here, and the Go tests in
# src/internal/release check the examples against each other and against the
# Go configuration types.
module ExampleDeployment
  module_function

  def copilot_properties
    {
      'cloud_controller' => { 'client_secret' => 'copilot-uaa-secret', 'ca_cert' => FakePEM.cert('router ca') },
      'nats' => { 'tls' => { 'client_cert' => FakePEM.cert('nats client'), 'client_key' => FakePEM.key('nats client') } },
      'mcp' => { 'tls' => { 'ca_cert' => FakePEM.cert('mcp ca'), 'certificate' => FakePEM.cert('copilot server'),
                            'private_key' => FakePEM.key('copilot server') } },
      'network_policies' => { 'enabled' => true,
                              'tls' => { 'certificate' => FakePEM.cert('copilot policy server client'),
                                         'private_key' => FakePEM.key('copilot policy server client'),
                                         'ca_cert' => FakePEM.cert('network policy ca') } },
    }
  end

  def pilot_properties
    {
      'copilot' => { 'tls' => { 'ca_cert' => FakePEM.cert('mcp ca'), 'certificate' => FakePEM.cert('pilot copilot client'),
                                'private_key' => FakePEM.key('pilot copilot client') } },
      'xds' => { 'tls' => { 'ca_cert' => FakePEM.cert('xds ca'), 'certificate' => FakePEM.cert('pilot server'),
                            'private_key' => FakePEM.key('pilot server') } },
      'gateway' => { 'tracing' => { 'collector_address' => '10.0.8.1:9411' } },
    }
  end

  def gateway_properties
    {
      'frontend_certificates' => [
        { 'name' => 'system-domain', 'certificate' => FakePEM.cert('system domain'), 'private_key' => FakePEM.key('system domain') },
        { 'name' => 'apps-domain', 'certificate' => FakePEM.cert('apps domain'), 'private_key' => FakePEM.key('apps domain') },
      ],
      'upstream_tls' => { 'certificate' => FakePEM.cert('gateway backend'), 'private_key' => FakePEM.key('gateway backend'),
                          'ca_cert' => FakePEM.cert('instance identity ca') },
      'pilot_tls' => { 'certificate' => FakePEM.cert('gateway pilot client'), 'private_key' => FakePEM.key('gateway pilot client'),
                       'ca_cert' => FakePEM.cert('xds ca') },
    }
  end

  def instances(group, ips)
    ips.each_with_index.map do |ip, i|
      { name: group, id: "#{group}-id-#{i}", index: i, az: "z#{i + 1}", address: ip, bootstrap: i.zero? }
    end
  end

  # The properties nats-release's nats-tls job declares for its link.
  NATS_TLS_LINK = %w[nats.user nats.password nats.hostname nats.port nats.monitor_port nats.cluster_port
                     nats.external.tls.ca nats.write_deadline].freeze

  # What cf-deployment's nats-tls job provides.
  def nats_link(nats = { 'user' => 'nats', 'password' => 'nats-password', 'hostname' => 'nats.service.cf.internal', 'port' => 4224,
                         'external' => { 'tls' => { 'ca' => FakePEM.cert('nats ca') } } })
    CfMesh::Link.from_hash({ 'nats' => nats }, declared: NATS_TLS_LINK, instances: instances('nats', %w[10.0.2.1 10.0.2.2]))
  end

  # What cf-deployment's cloud_controller_ng provides.
  def cloud_controller_link
    CfMesh::Link.from_hash({ 'system_domain' => 'sys.example.com', 'app_domains' => ['sys.example.com'] },
                           instances: instances('api', %w[10.0.3.1]))
  end

  def copilot_link(properties = copilot_properties)
    CfMesh::Link.from_job('copilot', 'copilot', properties: properties,
                                                instances: instances('cf-mesh-control', %w[10.0.1.10 10.0.1.11]))
  end

  def pilot_link(properties = pilot_properties)
    CfMesh::Link.from_job('pilot', 'pilot', properties: properties,
                                            instances: instances('cf-mesh-control', %w[10.0.1.10 10.0.1.11]))
  end

  def gateway_link(properties = gateway_properties)
    CfMesh::Link.from_job('gateway', 'gateway', properties: properties,
                                                instances: instances('cf-mesh-gateway', %w[10.0.4.1 10.0.4.2]))
  end

  # What cf-deployment's silk-controller provides.
  def cf_network_link
    CfMesh::Link.from_hash({ 'network' => '10.255.0.0/16', 'subnet_prefix_length' => 24 },
                           instances: instances('diego-api', %w[10.0.5.1]))
  end

  def copilot_links
    { 'nats-tls' => nats_link, 'cloud_controller' => cloud_controller_link, 'gateway' => gateway_link,
      'cf_network' => cf_network_link }
  end

  def control_spec(index = 0)
    { address: "10.0.1.1#{index}", ip: "10.0.1.1#{index}", id: "cf-mesh-control-id-#{index}", index: index,
      name: 'cf-mesh-control' }
  end

  def gateway_spec(index = 0)
    { address: "10.0.4.#{index + 1}", ip: "10.0.4.#{index + 1}", id: "cf-mesh-gateway-id-#{index}", index: index,
      name: 'cf-mesh-gateway' }
  end
end
