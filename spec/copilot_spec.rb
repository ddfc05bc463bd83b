# frozen_string_literal: true

require_relative 'spec_helper'
require_relative 'example_deployment'
require 'base64'

RSpec.describe 'the copilot job' do
  let(:properties) { ExampleDeployment.copilot_properties }
  let(:links) { ExampleDeployment.copilot_links }

  def render(template, properties: self.properties, links: self.links)
    CfMesh.render('copilot', template, properties: properties, links: links, spec: ExampleDeployment.control_spec)
  end

  def config(**overrides)
    JSON.parse(render('config/copilot.json', **overrides))
  end

  describe 'config/copilot.json' do
    it 'renders the example the Go test parses with copilot.Parse' do
      rendered = render('config/copilot.json')
      expect(rendered).to eq(CfMesh.match_rendered('copilot/copilot.json', rendered))
    end

    it 'takes NATS from the nats-tls link, by its DNS name, with the client certificate from properties' do
      nats = config['nats']
      expect(nats['servers']).to eq(['tls://nats.service.cf.internal:4224'])
      expect(nats).to include('user' => 'nats', 'password' => 'nats-password',
                              'ca_cert_file' => '/var/vcap/jobs/copilot/config/certs/nats_ca.crt',
                              'cert_file' => '/var/vcap/jobs/copilot/config/certs/nats_client.crt',
                              'host_ip' => '10.0.1.10', 'instance_id' => 'cf-mesh-control-0')
    end

    it 'lists every NATS instance when the link names no host' do
      nats = ExampleDeployment.nats_link('user' => 'nats', 'port' => 4224, 'external' => { 'tls' => { 'ca' => FakePEM.cert('ca') } })
      expect(config(links: links.merge('nats-tls' => nats))['nats']['servers']).to eq(%w[tls://10.0.2.1:4224 tls://10.0.2.2:4224])
    end

    it "uses gorouter's and route-emitter's timings by default" do
      expect(config['nats']).to include('minimum_register_interval' => '20s', 'prune_threshold' => '120s',
                                        'prune_interval' => '30s', 'initial_sync_wait' => '',
                                        'greet_window' => '1.5s', 'route_emitter_jitter' => '',
                                        'initial_sync_quiet_period' => '2s')
    end

    it 'passes the initial sync timings when set' do
      timings = { 'greet_window' => '2s', 'route_emitter_jitter' => '8s', 'initial_sync_quiet_period' => '5s', 'initial_sync_wait' => '45s' }
      expect(config(properties: deep_merge(properties, 'nats' => timings))['nats']).to include(timings)
    end

    it 'finds Cloud Controller at api.<system domain> from its link, or where the property says' do
      expect(config['cloud_controller']['api_url']).to eq('https://api.sys.example.com')
      overridden = deep_merge(properties, 'cloud_controller' => { 'api_url' => 'https://api.other.example.com' })
      expect(config(properties: overridden)['cloud_controller']['api_url']).to eq('https://api.other.example.com')
    end

    it 'reads the frontend certificates and the gateway ports from the gateway link' do
      mesh = config['mesh']
      expect(mesh['frontend_certificates']).to eq([
        { 'name' => 'system-domain', 'cert_file' => '/var/vcap/jobs/copilot/config/frontend/system-domain.crt' },
        { 'name' => 'apps-domain', 'cert_file' => '/var/vcap/jobs/copilot/config/frontend/apps-domain.crt' },
      ])
      custom = ExampleDeployment.gateway_link(deep_merge(ExampleDeployment.gateway_properties,
                                                         'listeners' => { 'http_port' => 8080, 'https_port' => 8443 }))
      expect(config(links: links.merge('gateway' => custom))['mesh']).to include('gateway_http_port' => 8080, 'gateway_https_port' => 8443)
    end

    it 'without a gateway link serves no frontend certificate, on its own ports' do
      rendered = config(links: links.except('gateway'),
                        properties: deep_merge(properties, 'mesh' => { 'gateway_https_port' => 8443 }))
      expect(rendered['mesh']).to include('frontend_certificates' => [], 'gateway_http_port' => 80, 'gateway_https_port' => 8443)
    end

    it 'serves MCP over mutual TLS on all interfaces' do
      expect(config['mcp']).to include('listen_address' => '0.0.0.0:9009', 'tls' => {
        'cert_file' => '/var/vcap/jobs/copilot/config/certs/mcp_server.crt',
        'key_file' => '/var/vcap/jobs/copilot/config/certs/mcp_server.key',
        'ca_file' => '/var/vcap/jobs/copilot/config/certs/mcp_ca.crt',
      })
    end

    it 'serves plaintext MCP only on loopback' do
      local = deep_merge(without(properties, 'mcp.tls'), 'mcp' => { 'listen_ip' => '127.0.0.1' })
      expect(config(properties: local)['mcp']).to include('listen_address' => '127.0.0.1:9009', 'tls' => {})
    end

    it 'passes gRPC limits only when set' do
      expect(config['mcp']['grpc']).to eq({})
      tuned = deep_merge(properties, 'mcp' => { 'grpc' => { 'max_send_message_bytes' => 1024, 'keepalive_time' => '1m' } })
      expect(config(properties: tuned)['mcp']['grpc']).to eq('max_send_message_bytes' => 1024, 'keepalive_time' => '1m')
    end

    describe 'network_policies' do
      it "reads cf-networking's policy server over mutual TLS, with its certificates from properties" do
        expect(config['network_policies']).to eq(
          'address' => 'https://policy-server.service.cf.internal:4003',
          'tls' => {
            'cert_file' => '/var/vcap/jobs/copilot/config/certs/policy_server_client.crt',
            'key_file' => '/var/vcap/jobs/copilot/config/certs/policy_server_client.key',
            'ca_file' => '/var/vcap/jobs/copilot/config/certs/policy_server_ca.crt',
          },
          'poll_interval' => '5s',
          'request_timeout' => '5s',
        )
      end

      it 'takes another address and intervals' do
        tuned = deep_merge(properties, 'network_policies' => { 'address' => 'https://policy.example.com:4443',
                                                               'poll_interval' => '10s', 'request_timeout' => '2s' })
        expect(config(properties: tuned)['network_policies']).to include('address' => 'https://policy.example.com:4443',
                                                                         'poll_interval' => '10s', 'request_timeout' => '2s')
      end

      it 'reads no policy server by default, and needs no certificate then' do
        expect(config(properties: without(properties, 'network_policies'))).not_to have_key('network_policies')
        disabled = deep_merge(without(properties, 'network_policies.tls'), 'network_policies' => { 'enabled' => false })
        expect(config(properties: disabled)).not_to have_key('network_policies')
        expect(render('config/certs/policy_server_client.key', properties: disabled).strip).to be_empty
      end

      it 'writes the certificates only when enabled' do
        expect(render('config/certs/policy_server_client.crt')).to include(FakePEM.cert('copilot policy server client'))
        expect(render('config/certs/policy_server_client.key')).to include(FakePEM.key('copilot policy server client'))
        expect(render('config/certs/policy_server_ca.crt')).to include(FakePEM.cert('network policy ca'))
        disabled = deep_merge(properties, 'network_policies' => { 'enabled' => false })
        expect(render('config/certs/policy_server_client.key', properties: disabled)).not_to include('PRIVATE KEY')
      end

      {
        'no client certificate' => [->(p) { without(p, 'network_policies.tls.certificate') },
                                    /network_policies.tls.certificate: required when network_policies.enabled is true/],
        'no client key' => [->(p) { without(p, 'network_policies.tls.private_key') }, /network_policies.tls.private_key: required/],
        'no CA' => [->(p) { without(p, 'network_policies.tls.ca_cert') }, /network_policies.tls.ca_cert: required/],
        'a key that is not PEM' => [->(p) { deep_merge(p, 'network_policies' => { 'tls' => { 'private_key' => 'secret' } }) },
                                    /network_policies.tls.private_key: not a PEM private key/],
        'a CA that is not PEM' => [->(p) { deep_merge(p, 'network_policies' => { 'tls' => { 'ca_cert' => 'ca' } }) },
                                   /network_policies.tls.ca_cert: not a PEM certificate/],
        'plain HTTP' => [->(p) { deep_merge(p, 'network_policies' => { 'address' => 'http://policy-server.service.cf.internal:4003' }) },
                         /network_policies.address: "http:.*" is not https:\/\/host\[:port\]/],
        'an address with a path' => [->(p) { deep_merge(p, 'network_policies' => { 'address' => 'https://policy-server:4003/networking' }) },
                                     /network_policies.address: .* is not https:\/\/host\[:port\]/],
        'a poll interval without unit' => [->(p) { deep_merge(p, 'network_policies' => { 'poll_interval' => 5 }) },
                                           /network_policies.poll_interval: 5 is not a duration/],
        'enabled as a string' => [->(p) { deep_merge(p, 'network_policies' => { 'enabled' => 'false' }) },
                                  /network_policies.enabled: "false" is not true or false/],
      }.each do |name, (mutate, message)|
        it "raises for #{name}" do
          expect { config(properties: mutate.call(properties)) }.to raise_error(message)
        end
      end
    end

    it 'takes the container network from silk-controller, a property overriding it' do
      other = CfMesh::Link.from_hash({ 'network' => '10.254.0.0/15' }, instances: [])
      expect(config(links: links.merge('cf_network' => other))['mesh']['container_network']).to eq('10.254.0.0/15')
      expect(config(links: links.except('cf_network'))['mesh']['container_network']).to eq('10.255.0.0/16')
      overridden = deep_merge(properties, 'mesh' => { 'container_network' => '172.16.0.0/12' })
      expect(config(properties: overridden)['mesh']['container_network']).to eq('172.16.0.0/12')
    end

    describe 'raises naming the property' do
      {
        'a missing MCP certificate off loopback' => [->(p) { without(p, 'mcp.tls.certificate') }, /mcp.tls.certificate: required, because mcp.listen_ip 0.0.0.0 is not loopback/],
        'a key that is not PEM' => [->(p) { deep_merge(p, 'mcp' => { 'tls' => { 'private_key' => 'secret' } }) }, /mcp.tls.private_key: not a PEM private key/],
        'a bad duration' => [->(p) { deep_merge(p, 'cloud_controller' => { 'full_sync_interval' => 300 }) }, /cloud_controller.full_sync_interval: 300 is not a duration/],
        'a duration without unit' => [->(p) { deep_merge(p, 'debounce' => '100') }, /debounce: "100" is not a duration/],
        'a route-emitter jitter that is no duration' => [->(p) { deep_merge(p, 'nats' => { 'route_emitter_jitter' => 0.2 }) },
                                                         /nats.route_emitter_jitter: 0.2 is not a duration/],
        'debug APIs off loopback' => [->(p) { p.merge('status' => { 'address' => '0.0.0.0:9014' }) }, /status.address: 0.0.0.0:9014 is not a loopback host:port; the debug APIs stay on loopback/],
        'a metrics address without port' => [->(p) { p.merge('metrics' => { 'address' => '10.0.0.5' }) }, /metrics.address: 10.0.0.5 is not host:port/],
        'an unknown log level' => [->(p) { p.merge('log_level' => 'warn') }, /log_level: "warn" is not one of debug, info, error, fatal/],
        'no UAA client secret' => [->(p) { without(p, 'cloud_controller.client_secret') }, /cloud_controller.client_secret: required/],
        'a page size Cloud Controller refuses' => [->(p) { deep_merge(p, 'cloud_controller' => { 'per_page' => 10_000 }) }, /cloud_controller.per_page: 10000/],
        'half a NATS client certificate' => [->(p) { without(p, 'nats.tls.client_key') }, /nats.tls.client_cert and nats.tls.client_key: set both or neither/],
        'a container network that is no CIDR' => [->(p) { deep_merge(p, 'mesh' => { 'container_network' => '10.255.0.0' }) }, /mesh.container_network: "10.255.0.0" is not a CIDR/],
        'a port out of range' => [->(p) { deep_merge(p, 'mcp' => { 'port' => 70_000 }) }, /mcp.port: 70000 is not a port/],
        'gateway ports beside a gateway link' => [->(p) { deep_merge(p, 'mesh' => { 'gateway_http_port' => 8080 }) }, /leave unset when the copilot consumes a gateway link/],
      }.each do |name, (mutate, message)|
        it "for #{name}" do
          expect { config(properties: mutate.call(properties)) }.to raise_error(message)
        end
      end

      it 'for no Cloud Controller at all' do
        expect { config(links: links.except('cloud_controller')) }.to raise_error(/cloud_controller.api_url: required when the copilot consumes no cloud_controller link/)
      end
    end
  end

  describe 'config/frontend-certificates' do
    it 'holds each certificate of the gateway link, never a key' do
      lines = render('config/frontend-certificates').lines.map(&:split)
      expect(lines.map(&:first)).to eq(%w[system-domain apps-domain])
      expect(Base64.strict_decode64(lines.first.last)).to eq(FakePEM.cert('system domain'))
      expect(render('config/frontend-certificates')).not_to include(Base64.strict_encode64(FakePEM.key('system domain')))
    end

    it 'is empty without a gateway link' do
      expect(render('config/frontend-certificates', links: links.except('gateway')).strip).to be_empty
    end
  end

  describe 'certificates' do
    it 'writes the PEM properties and the NATS CA from the link' do
      expect(render('config/certs/mcp_server.crt')).to include(FakePEM.cert('copilot server'))
      expect(render('config/certs/nats_ca.crt')).to include(FakePEM.cert('nats ca'))
      with_ca = deep_merge(properties, 'nats' => { 'tls' => { 'ca_cert' => FakePEM.cert('own nats ca') } })
      expect(render('config/certs/nats_ca.crt', properties: with_ca)).to include(FakePEM.cert('own nats ca'))
    end
  end

  describe 'config/bpm.yml' do
    it 'runs the copilot with its configuration' do
      process = YAML.safe_load(render('config/bpm.yml'))['processes'].first
      expect(process).to include('name' => 'copilot', 'executable' => '/var/vcap/packages/copilot/bin/copilot',
                                 'args' => ['-config', '/var/vcap/jobs/copilot/config/copilot.json'],
                                 'limits' => { 'open_files' => 65_536 },
                                 'env' => { 'GOMEMLIMIT' => '896MiB' })
    end

    it 'sets the Go memory limit from go_memory_limit, or none when it is off' do
      bpm = ->(limit) { YAML.safe_load(render('config/bpm.yml', properties: properties.merge('go_memory_limit' => limit)))['processes'].first }
      expect(bpm.call('2GiB')['env']).to eq('GOMEMLIMIT' => '2GiB')
      expect(bpm.call('off')).not_to have_key('env')
    end

    it 'names the property when the memory limit is not one Go understands' do
      expect { render('config/bpm.yml', properties: properties.merge('go_memory_limit' => '1 GB')) }
        .to raise_error(/go_memory_limit: "1 GB" is not a Go memory limit/)
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
      expect(script).to include('require_file "$job/config/certs/mcp_server.crt" mcp.tls.certificate')
      expect(script).to include('require_free_port 9009 mcp.port', 'require_free_port 9014 status.address')
      expect(bash_syntax_errors(script)).to be_empty
    end

    it 'checks the policy server certificates only when network policies are read' do
      expect(render('bin/pre-start')).to include(
        'require_file "$job/config/certs/policy_server_client.crt" network_policies.tls.certificate',
        'require_file "$job/config/certs/policy_server_client.key" network_policies.tls.private_key',
        'require_file "$job/config/certs/policy_server_ca.crt" network_policies.tls.ca_cert',
      )
      disabled = deep_merge(properties, 'network_policies' => { 'enabled' => false })
      expect(render('bin/pre-start', properties: disabled)).not_to include('policy_server')
    end

    it 'checks no MCP certificate when MCP is plaintext on loopback' do
      local = deep_merge(without(properties, 'mcp.tls'), 'mcp' => { 'listen_ip' => '127.0.0.1' })
      expect(render('bin/pre-start', properties: local)).not_to include('mcp_server.crt')
    end
  end
end
