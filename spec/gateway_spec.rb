# frozen_string_literal: true

require_relative 'spec_helper'
require_relative 'example_deployment'
require 'base64'
require 'open3'
require 'socket'
require 'tmpdir'
require 'uri'

# FakeEnvoyAdmin answers the admin calls the drain script makes, on
# 127.0.0.1, and records them.
class FakeEnvoyAdmin
  attr_reader :requests, :port

  # connections is what successive /stats calls report.
  def initialize(connections)
    @connections = connections.dup
    @requests = []
    @server = TCPServer.new('127.0.0.1', 0)
    @port = @server.addr[1]
    @thread = Thread.new { serve }
  end

  def stop
    @thread.kill
    @server.close
  end

  private

  def serve
    loop do
      client = @server.accept
      method, target = client.gets.to_s.split
      nil while (line = client.gets) && line != "\r\n"
      @requests << "#{method} #{target}"
      body = target.start_with?('/stats') ? "server.total_connections: #{@connections.shift || 0}\n" : "OK\n"
      client.write("HTTP/1.1 200 OK\r\nContent-Length: #{body.bytesize}\r\nConnection: close\r\n\r\n#{body}")
      client.close
    end
  end
end

RSpec.describe 'the gateway job' do
  let(:properties) { ExampleDeployment.gateway_properties }
  let(:links) { { 'pilot' => ExampleDeployment.pilot_link } }

  def render(template, properties: self.properties, links: self.links)
    CfMesh.render('gateway', template, properties: properties, links: links, spec: ExampleDeployment.gateway_spec)
  end

  def bootstrap(**overrides)
    JSON.parse(render('config/envoy.json', **overrides))
  end

  def sds(name)
    JSON.parse(render("config/sds/#{name}.yaml"))
  end

  describe 'config/envoy.json' do
    it 'renders the example the Go test compares with gatewaybootstrap.Build' do
      rendered = render('config/envoy.json')
      expect(rendered).to eq(CfMesh.match_rendered('gateway/envoy.json', rendered))
    end

    it 'names the gateway router~<ip>~<instance id>~cf.internal' do
      expect(bootstrap['node']).to eq('id' => 'router~10.0.4.1~cf-mesh-gateway-id-0~cf.internal', 'cluster' => 'cf-mesh-gateway')
    end

    it 'lists every pilot of the link in the ADS cluster, verified by the name the link gives' do
      xds = bootstrap['static_resources']['clusters'].first
      endpoints = xds['load_assignment']['endpoints'].first['lb_endpoints'].map { |e| e['endpoint']['address']['socket_address'] }
      expect(endpoints).to eq([{ 'address' => '10.0.1.10', 'port_value' => 15_010 }, { 'address' => '10.0.1.11', 'port_value' => 15_010 }])
      tls = xds['transport_socket']['typed_config']
      expect(tls['sni']).to eq('pilot.service.cf.internal')
      expect(tls['common_tls_context']['tls_certificate_sds_secret_configs'].first['sds_config']['path_config_source']['path'])
        .to eq('/var/vcap/jobs/gateway/config/sds/pilot-client.yaml')
    end

    it 'keeps admin on loopback and serves /health on all interfaces' do
      expect(bootstrap['admin']['address']['socket_address']).to eq('address' => '127.0.0.1', 'port_value' => 15_000)
      health = bootstrap['static_resources']['listeners'].first
      expect(health['address']['socket_address']).to eq('address' => '0.0.0.0', 'port_value' => 8002)
    end

    it "defines the trace collector only when the pilots trace, over gRPC for OpenTelemetry" do
      names = bootstrap['static_resources']['clusters'].map { |c| c['name'] }
      expect(names).to eq(%w[pilot-xds tracing-collector])
      untraced = ExampleDeployment.pilot_link(without(ExampleDeployment.pilot_properties, 'gateway.tracing'))
      expect(bootstrap(links: { 'pilot' => untraced })['static_resources']['clusters'].map { |c| c['name'] }).to eq(%w[pilot-xds])
      otel = ExampleDeployment.pilot_link(deep_merge(ExampleDeployment.pilot_properties, 'gateway' => { 'tracing' => { 'provider' => 'opentelemetry' } }))
      collector = bootstrap(links: { 'pilot' => otel })['static_resources']['clusters'].last
      expect(collector).to include('typed_extension_protocol_options')
    end

    describe 'raises naming the problem' do
      it 'for pilot addresses that are DNS names' do
        dns = CfMesh::Link.from_job('pilot', 'pilot', properties: ExampleDeployment.pilot_properties,
                                                      instances: [{ name: 'cf-mesh-control', id: 'x', index: 0, az: 'z1', address: 'x.cf-mesh-control.default.cf.bosh', bootstrap: true }])
        expect { bootstrap(links: { 'pilot' => dns }) }.to raise_error(/pilot link: instance address .* is not an IP; consume the link with ip_addresses: true/)
      end

      it 'for two listeners on one port' do
        expect { bootstrap(properties: deep_merge(properties, 'health_check' => { 'port' => 80 })) }
          .to raise_error(/listeners.http_port and health_check.port: the same port 80 twice/)
      end

      it 'for a port out of range' do
        expect { bootstrap(properties: deep_merge(properties, 'envoy' => { 'admin_port' => 0 })) }.to raise_error(/envoy.admin_port: 0 is not a port/)
      end
    end
  end

  describe 'SDS files' do
    it 'render the examples the Go test reads as Secrets' do
      %w[upstream-client instance-identity-ca pilot-client pilot-ca].each do |name|
        rendered = render("config/sds/#{name}.yaml")
        expect(rendered).to eq(CfMesh.match_rendered("gateway/sds/#{name}.yaml", rendered))
      end
    end

    it 'hold one secret, named after its file, with the PEM inline' do
      file = sds('upstream-client')
      expect(file['type_url']).to eq('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret')
      secret = file['resources'].first
      expect(secret['name']).to eq('upstream-client')
      expect(Base64.strict_decode64(secret['tls_certificate']['private_key']['inline_bytes'])).to eq(FakePEM.key('gateway backend'))
      ca = sds('instance-identity-ca')['resources'].first
      expect(Base64.strict_decode64(ca['validation_context']['trusted_ca']['inline_bytes'])).to eq(FakePEM.cert('instance identity ca'))
    end

    it 'raise for a missing or malformed certificate' do
      expect { render('config/sds/upstream-client.yaml', properties: without(properties, 'upstream_tls.certificate')) }
        .to raise_error(/upstream_tls.certificate: required/)
      expect { render('config/sds/pilot-ca.yaml', properties: deep_merge(properties, 'pilot_tls' => { 'ca_cert' => 'ca' })) }
        .to raise_error(/pilot_tls.ca_cert: not a PEM certificate/)
    end
  end

  describe 'config/frontend-secrets' do
    def frontend(properties: self.properties)
      render('config/frontend-secrets', properties: properties).lines.map(&:split).to_h { |name, file| [name, Base64.strict_decode64(file)] }
    end

    it 'holds one SDS file per frontend certificate (the examples the Go test reads)' do
      files = frontend
      expect(files.keys).to eq(%w[system-domain apps-domain])
      files.each { |name, file| expect(file).to eq(CfMesh.match_rendered("gateway/sds/#{name}.yaml", file)) }
      secret = JSON.parse(files['apps-domain'])['resources'].first
      expect(secret['name']).to eq('apps-domain')
      expect(Base64.strict_decode64(secret['tls_certificate']['certificate_chain']['inline_bytes'])).to eq(FakePEM.cert('apps domain'))
    end

    it 'is empty without frontend certificates' do
      expect(frontend(properties: properties.merge('frontend_certificates' => []))).to be_empty
    end

    {
      'a name that is no DNS label' => [{ 'name' => 'Apps_Domain' }, /frontend_certificates\[0\].name: "Apps_Domain" is not a DNS label/],
      "a name the gateway's own secrets use" => [{ 'name' => 'pilot-ca' }, /frontend_certificates\[0\].name: pilot-ca is reserved/],
      'a key that is not PEM' => [{ 'private_key' => 'key' }, /frontend_certificates\[0\].private_key \(system-domain\): not a PEM private key/],
    }.each do |name, (change, message)|
      it "raises for #{name}" do
        certificates = properties['frontend_certificates'].dup
        certificates[0] = certificates[0].merge(change)
        expect { frontend(properties: properties.merge('frontend_certificates' => certificates)) }.to raise_error(message)
      end
    end

    it 'raises for a name listed twice' do
      twice = properties['frontend_certificates'] + [properties['frontend_certificates'].first]
      expect { frontend(properties: properties.merge('frontend_certificates' => twice)) }
        .to raise_error(/frontend_certificates\[2\].name: system-domain is listed twice/)
    end
  end

  describe 'config/bpm.yml' do
    def process(properties: self.properties)
      YAML.safe_load(render('config/bpm.yml', properties: properties))['processes'].first
    end

    it 'runs Envoy as a drainable, unprivileged process that may bind 80 and 443' do
      expect(process).to include('name' => 'gateway', 'executable' => '/var/vcap/packages/envoy/bin/envoy',
                                 'capabilities' => ['NET_BIND_SERVICE'], 'limits' => { 'open_files' => 100_000 })
      expect(process['args']).to eq(['--config-path', '/var/vcap/jobs/gateway/config/envoy.json', '--log-level', 'info',
                                     '--drain-time-s', '30', '--drain-strategy', 'immediate', '--disable-hot-restart'])
    end

    it 'passes the drain time in whole seconds and the worker count when set' do
      args = process(properties: deep_merge(properties, 'envoy' => { 'drain_time' => '1m30s', 'concurrency' => 4 }))['args']
      expect(args[args.index('--drain-time-s') + 1]).to eq('90')
      expect(args[args.index('--concurrency') + 1]).to eq('4')
    end

    it 'raises for an unknown Envoy log level or a bad drain time' do
      expect { process(properties: deep_merge(properties, 'envoy' => { 'log_level' => 'warn' })) }.to raise_error(/envoy.log_level: "warn" is not one of/)
      expect { process(properties: deep_merge(properties, 'envoy' => { 'drain_time' => 30 })) }.to raise_error(/envoy.drain_time: 30 is not a duration/)
    end
  end

  describe 'bin/pre-start' do
    it 'is a bash script that checks the secrets, the ports and the bootstrap' do
      script = render('bin/pre-start')
      expect(script).to include('require_free_port 80 listeners.http_port', 'require_free_port 443 listeners.https_port',
                                'require_free_port 8002 health_check.port', 'require_free_port 15000 envoy.admin_port',
                                'require_file "$sds/pilot-ca.yaml" pilot_tls.ca_cert', '--mode validate')
      expect(bash_syntax_errors(script)).to be_empty
    end
  end

  describe 'bin/drain' do
    around do |example|
      Dir.mktmpdir do |dir|
        @dir = dir
        example.run
      end
    end

    after { @admin&.stop }

    def drain_script(admin_port, wait: '0s', timeout: '5s')
      render('bin/drain', properties: deep_merge(properties, 'envoy' => { 'admin_port' => admin_port },
                                                             'drain_wait' => wait, 'drain_timeout' => timeout))
    end

    # drain runs the script as BOSH does and returns what it printed.
    def drain(script, *args)
      env = { 'CF_MESH_DRAIN_STATE' => "#{@dir}/drain.state", 'CF_MESH_DRAIN_LOG' => "#{@dir}/drain.log" }
      out, err, status = Open3.capture3(env, 'bash', '-s', *args, stdin_data: script)
      expect(status).to be_success, err
      out
    end

    it 'fails the health check, waits drain_wait, drains listeners and reports 0 once no connection is left' do
      @admin = FakeEnvoyAdmin.new([2, 0])
      script = drain_script(@admin.port, wait: '0s')
      expect(drain(script, 'job_changed', 'hash_changed')).to eq("-1\n")
      expect(@admin.requests).to eq(['POST /healthcheck/fail'])
      expect(drain(script, 'job_check_status')).to eq("-1\n")
      expect(@admin.requests.drop(1).map { |r| URI.decode_www_form_component(r) })
        .to eq(['POST /drain_listeners?graceful', 'GET /stats?filter=^server\\.total_connections$'])
      expect(drain(script, 'job_check_status')).to eq("0\n")
      expect(File.read("#{@dir}/drain.log")).to include('drained: no connections left')
      expect(File).not_to exist("#{@dir}/drain.state")
    end

    it 'asks BOSH to come back after drain_wait before draining' do
      @admin = FakeEnvoyAdmin.new([])
      script = drain_script(@admin.port, wait: '20s')
      expect(drain(script, 'job_shutdown')).to eq("-20\n")
      expect(drain(script, 'job_check_status')).to match(/\A-(19|20)\n\z/)
      expect(@admin.requests).to eq(['POST /healthcheck/fail'])
    end

    it 'stops waiting when drain_timeout passes' do
      @admin = FakeEnvoyAdmin.new([5, 5, 5])
      script = drain_script(@admin.port, wait: '0s', timeout: '0s')
      drain(script, 'job_shutdown')
      expect(drain(script, 'job_check_status')).to eq("0\n")
      expect(File.read("#{@dir}/drain.log")).to include('drain_timeout (0s) passed with 5 connections left')
    end

    it 'reports 0 at once when Envoy is not running' do
      port = TCPServer.open('127.0.0.1', 0) { |s| s.addr[1] }
      expect(drain(drain_script(port), 'job_shutdown')).to eq("0\n")
      expect(File.read("#{@dir}/drain.log")).to include('nothing to drain')
    end
  end
end
