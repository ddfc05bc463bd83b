# frozen_string_literal: true

require_relative 'spec_helper'
require_relative 'example_deployment'

RSpec.describe 'the pilot job' do
  let(:properties) { ExampleDeployment.pilot_properties }
  let(:links) { { 'copilot' => ExampleDeployment.copilot_link } }

  def render(template, properties: self.properties, links: self.links)
    CfMesh.render('pilot', template, properties: properties, links: links, spec: ExampleDeployment.control_spec(1))
  end

  def config(**overrides)
    JSON.parse(render('config/pilot.json', **overrides))
  end

  describe 'config/pilot.json' do
    it 'renders the example the Go test parses with pilot.Parse' do
      rendered = render('config/pilot.json')
      expect(rendered).to eq(CfMesh.match_rendered('pilot/pilot.json', rendered))
    end

    it 'lists every copilot of the link, verified by the name the link gives' do
      expect(config['copilot']['addresses']).to eq(%w[10.0.1.10:9009 10.0.1.11:9009])
      expect(config['copilot_tls']).to eq(
        'cert_file' => '/var/vcap/jobs/pilot/config/certs/copilot_client.crt',
        'key_file' => '/var/vcap/jobs/pilot/config/certs/copilot_client.key',
        'ca_file' => '/var/vcap/jobs/pilot/config/certs/copilot_ca.crt',
        'server_name' => 'copilot.service.cf.internal',
      )
    end

    it 'follows the copilots port and name' do
      copilot = ExampleDeployment.copilot_link(deep_merge(ExampleDeployment.copilot_properties,
                                                          'mcp' => { 'port' => 19_009, 'tls' => { 'server_name' => 'mcp.example' } }))
      rendered = config(links: { 'copilot' => copilot })
      expect(rendered['copilot']['addresses']).to eq(%w[10.0.1.10:19009 10.0.1.11:19009])
      expect(rendered['copilot_tls']['server_name']).to eq('mcp.example')
    end

    it 'names itself as an Istio router node and speaks Delta MCP by default' do
      expect(config['copilot']).to include('node_id' => 'router~10.0.1.11~pilot-1.cloudfoundry~cloudfoundry.svc.cluster.local',
                                           'transport' => 'delta')
      expect(config['copilot']).not_to include('keepalive_time', 'max_receive_message_bytes')
    end

    it 'serves xDS over mutual TLS on all interfaces' do
      expect(config['xds']).to eq('listen_address' => '0.0.0.0:15010', 'tls' => {
        'cert_file' => '/var/vcap/jobs/pilot/config/certs/xds_server.crt',
        'key_file' => '/var/vcap/jobs/pilot/config/certs/xds_server.key',
        'ca_file' => '/var/vcap/jobs/pilot/config/certs/xds_ca.crt',
      })
    end

    it 'serves plaintext xDS and MCP only on loopback (a pilot colocated with its copilot or its proxies)' do
      local = deep_merge(without(without(properties, 'xds.tls'), 'copilot.tls'),
                         'xds' => { 'listen_ip' => '127.0.0.1' }, 'copilot' => { 'addresses' => ['127.0.0.1:9009'] })
      rendered = config(properties: local, links: {})
      expect(rendered['xds']).to eq('listen_address' => '127.0.0.1:15010', 'tls' => {})
      expect(rendered['copilot_tls']).to eq({})
      expect(rendered['copilot']['addresses']).to eq(['127.0.0.1:9009'])
    end

    it 'points gateways at the SDS files the gateway job renders' do
      expect(config['gateway']).to include('secrets_directory' => '/var/vcap/jobs/gateway/config/sds',
                                           'upstream_client_secret' => 'upstream-client',
                                           'upstream_ca_secret' => 'instance-identity-ca',
                                           'connect_timeout' => '1s', 'request_timeout' => '900s', 'access_log_path' => '')
    end

    it 'turns tracing on with a collector, in the cluster the gateways define' do
      expect(config['gateway']['tracing']).to eq('provider' => 'zipkin', 'collector_cluster' => 'tracing-collector', 'sampling_percent' => 1)
      expect(config(properties: without(properties, 'gateway.tracing'))['gateway']['tracing']).to eq({})
    end

    it 'serves no containers and no mesh mutual TLS unless asked' do
      expect(config['containers']).to eq('listen_address' => '')
      expect(config['mesh']).to include('mtls' => false, 'instance_identity_ca_file' => '',
                                        'container_config_directory' => '/etc/cf-assets/envoy_config')
    end

    it "serves the cell's containers with mesh mutual TLS" do
      cell = deep_merge(properties, 'containers' => { 'listen_address' => '169.254.0.2:15010' },
                                    'mesh' => { 'mtls' => true, 'instance_identity_ca' => FakePEM.cert('instance identity ca') })
      expect(config(properties: cell)['containers']).to eq('listen_address' => '169.254.0.2:15010')
      expect(config(properties: cell)['mesh']).to include('mtls' => true, 'instance_identity_ca_file' => '/var/vcap/jobs/pilot/config/certs/instance_identity_ca.crt')
      expect(render('config/certs/instance_identity_ca.crt', properties: cell)).to include(FakePEM.cert('instance identity ca'))
      script = render('bin/pre-start', properties: cell)
      expect(script).to include('require_free_port 15010 containers.listen_address',
                                'require_file "$job/config/certs/instance_identity_ca.crt" mesh.instance_identity_ca')
    end

    describe 'raises naming the property' do
      {
        'no client certificate for remote copilots' => [->(p) { without(p, 'copilot.tls') }, /copilot.tls.ca_cert: required, because copilot 10.0.1.10:9009 is not on loopback/],
        'no xDS certificate off loopback' => [->(p) { without(p, 'xds.tls.private_key') }, /xds.tls.private_key: required, because xds.listen_ip 0.0.0.0 is not loopback/],
        'half the xDS TLS on loopback' => [->(p) { deep_merge(without(p, 'xds.tls.ca_cert'), 'xds' => { 'listen_ip' => '127.0.0.1' }) }, /xds.tls.ca_cert: required, because the other xds.tls properties are set/],
        'a listen IP that is no IP' => [->(p) { deep_merge(p, 'xds' => { 'listen_ip' => 'pilot.local' }) }, /xds.listen_ip: "pilot.local" is not an IP address/],
        'an unknown transport' => [->(p) { deep_merge(p, 'copilot' => { 'transport' => 'incremental' }) }, /copilot.transport: "incremental" is neither delta nor sotw/],
        'copilot addresses without ports' => [->(p) { deep_merge(p, 'copilot' => { 'addresses' => ['copilot.service.cf.internal'] }) }, /copilot.addresses: .* must be a non-empty list of host:port/],
        'an access log where bpm forbids writing' => [->(p) { deep_merge(p, 'gateway' => { 'access_log_path' => '/tmp/access.log' }) }, %r{gateway.access_log_path: "/tmp/access.log" must be a file under /var/vcap/sys/log/gateway/}],
        'an unknown tracing provider' => [->(p) { deep_merge(p, 'gateway' => { 'tracing' => { 'provider' => 'jaeger' } }) }, /gateway.tracing.provider: "jaeger" is neither zipkin nor opentelemetry/],
        'a sampling rate over 100' => [->(p) { deep_merge(p, 'gateway' => { 'tracing' => { 'sampling_percent' => 150 } }) }, /gateway.tracing.sampling_percent: 150 is not a percentage/],
        'a bad timeout' => [->(p) { deep_merge(p, 'gateway' => { 'request_timeout' => '15 minutes' }) }, /gateway.request_timeout: "15 minutes" is not a duration/],
        'debug APIs off loopback' => [->(p) { p.merge('status' => { 'address' => '0.0.0.0:15014' }) }, /status.address: 0.0.0.0:15014 is not a loopback host:port; the debug APIs stay on loopback/],
        'a metrics address without port' => [->(p) { p.merge('metrics' => { 'address' => '10.0.0.5' }) }, /metrics.address: 10.0.0.5 is not host:port/],
        'an unknown log level' => [->(p) { p.merge('log_level' => 'trace') }, /log_level: "trace" is not one of/],
        'a containers address that is no ip:port' => [->(p) { p.merge('containers' => { 'listen_address' => 'cell.local:15010' }) }, /containers.listen_address: "cell.local:15010" is not ip:port/],
        'mesh mutual TLS without the CA' => [->(p) { deep_merge(p, 'mesh' => { 'mtls' => true }) }, /mesh.instance_identity_ca: required with mesh.mtls/],
        'a CA that is not PEM' => [->(p) { deep_merge(p, 'mesh' => { 'mtls' => true, 'instance_identity_ca' => 'ca' }) }, /mesh.instance_identity_ca: not a PEM certificate/],
        'a relative access log path' => [->(p) { deep_merge(p, 'mesh' => { 'access_log_path' => 'access.log' }) }, /mesh.access_log_path: "access.log" must be an absolute path/],
      }.each do |name, (mutate, message)|
        it "for #{name}" do
          expect { config(properties: mutate.call(properties)) }.to raise_error(message)
        end
      end
    end
  end

  describe 'config/bpm.yml' do
    it 'runs the pilot with its configuration' do
      process = YAML.safe_load(render('config/bpm.yml'))['processes'].first
      expect(process).to include('name' => 'pilot', 'executable' => '/var/vcap/packages/pilot/bin/pilot',
                                 'args' => ['-config', '/var/vcap/jobs/pilot/config/pilot.json'])
    end
  end

  describe 'certificates' do
    it 'writes the PEM properties' do
      expect(render('config/certs/xds_server.key')).to include(FakePEM.key('pilot server'))
      expect(render('config/certs/copilot_ca.crt')).to include(FakePEM.cert('mcp ca'))
    end
  end

  describe 'bin/pre-start' do
    it 'checks the metrics port when metrics are served off loopback' do
      script = render('bin/pre-start', properties: properties.merge('metrics' => { 'address' => '0.0.0.0:9115' }))
      expect(script).to include('require_free_port 9115 metrics.address')
      expect(config(properties: properties.merge('metrics' => { 'address' => '0.0.0.0:9115' }))['metrics_address']).to eq('0.0.0.0:9115')
    end

    it 'is a bash script that checks the certificates in use and the ports' do
      script = render('bin/pre-start')
      expect(script).to include('require_file "$job/config/certs/xds_server.crt" xds.tls.certificate',
                                'require_file "$job/config/certs/copilot_client.crt" copilot.tls.certificate',
                                'require_free_port 15010 xds.port', 'require_free_port 15014 status.address')
      expect(bash_syntax_errors(script)).to be_empty
    end
  end
end
