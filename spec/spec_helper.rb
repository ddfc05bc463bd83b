# frozen_string_literal: true

# A small rendering context for the release's ERB templates, in place of the
# bosh-template gem (not packaged for Debian). It reproduces what templates
# see on a BOSH director:
#   p(name[, default]), if_p(*names) { } .else { }: properties from the
#     manifest, falling back to the job spec's defaults; only properties the
#     spec declares exist.
#   link(name), if_link(name) { } .else { }: a link with p/if_p over the
#     provider's link properties, instances (name, id, index, az, address,
#     bootstrap) and address.
#   spec: address, ip, id, index, az, deployment, name, bootstrap.
# It is stricter than BOSH in one way: a manifest property the job spec does
# not declare raises, so a misspelt property in a test (or a renamed one in a
# spec) fails instead of silently falling back to a default.

require 'erb'
require 'json'
require 'yaml'
require 'ostruct'
require 'fileutils'

module CfMesh
  RELEASE_DIR = File.expand_path('..', __dir__)
  RENDERED_DIR = File.join(__dir__, 'fixtures', 'rendered')

  # UnknownProperty is what p raises for a property that is not set and
  # has no default, like bosh-template's.
  class UnknownProperty < StandardError; end

  # JobSpec is a job's spec file.
  class JobSpec
    attr_reader :name

    def self.load(name)
      new(name, YAML.safe_load(File.read(File.join(RELEASE_DIR, 'jobs', name, 'spec'))))
    end

    def initialize(name, raw)
      @name = name
      @raw = raw
    end

    def properties
      @raw.fetch('properties', {}) || {}
    end

    def templates
      @raw.fetch('templates', {})
    end

    def provides
      @raw.fetch('provides', []) || []
    end

    def consumes
      @raw.fetch('consumes', []) || []
    end

    # source returns the template file that renders destination.
    def source(destination)
      src, = templates.find { |_, dest| dest == destination }
      raise ArgumentError, "job #{name} renders no #{destination} (templates: #{templates.values.join(', ')})" unless src

      File.join(RELEASE_DIR, 'jobs', name, 'templates', src)
    end
  end

  # Properties resolves dotted property names the way BOSH merges a
  # manifest's properties with a spec's defaults.
  class Properties
    def initialize(job_spec, manifest, only: nil)
      @declared = job_spec.properties
      @declared = @declared.select { |name, _| only.include?(name) } if only
      @manifest = stringify(manifest || {})
      check_declared(@manifest, [], job_spec.name) unless only
    end

    # lookup returns [true, value] when the property is set (in the
    # manifest, or by a non-nil default), else [false, nil].
    def lookup(name)
      raise UnknownProperty, "Can't find property '#{name}': it is not declared" unless @declared.key?(name)

      found, value = dig(name)
      return [true, value] if found && !value.nil?

      default = (@declared[name] || {})['default']
      default.nil? ? [false, nil] : [true, default]
    end

    private

    def dig(name)
      name.split('.').reduce([true, @manifest]) do |(found, node), key|
        return [false, nil] unless found && node.is_a?(Hash) && node.key?(key)

        [true, node[key]]
      end
    end

    def check_declared(node, path, job)
      node.each do |key, value|
        name = (path + [key]).join('.')
        next if @declared.key?(name)
        if value.is_a?(Hash) && @declared.keys.any? { |d| d.start_with?("#{name}.") }
          check_declared(value, path + [key], job)
          next
        end
        raise ArgumentError, "property #{name} is not declared in jobs/#{job}/spec"
      end
    end

    def stringify(value)
      case value
      when Hash then value.to_h { |k, v| [k.to_s, stringify(v)] }
      when Array then value.map { |v| stringify(v) }
      else value
      end
    end
  end

  # ElseClause lets `if_p(...) { } .else { }` and `if_link` read as BOSH's.
  class ElseClause
    def initialize(taken, result = nil)
      @taken = taken
      @result = result
    end

    def else
      @taken ? @result : yield
    end
  end

  # PropertyReader is p and if_p over a Properties.
  module PropertyReader
    def p(*args)
      names = Array(args[0])
      names.each do |name|
        found, value = @properties.lookup(name)
        return value if found
      end
      return args[1] if args.length > 1

      raise UnknownProperty, "Can't find property '#{names.join("', '")}'"
    end

    def if_p(*names)
      values = names.map { |name| @properties.lookup(name) }
      return ElseClause.new(false) unless values.all?(&:first)

      ElseClause.new(true, yield(*values.map(&:last)))
    end
  end

  Instance = Struct.new(:name, :id, :index, :az, :address, :bootstrap, keyword_init: true)

  # Link is what a consumer's link(name) returns.
  class Link
    include PropertyReader
    attr_reader :instances, :address

    # from_job builds the link a job of this release provides: its declared
    # link properties with the provider's spec defaults.
    def self.from_job(job, link_name, properties: {}, instances: [], address: nil)
      spec = JobSpec.load(job)
      provided = spec.provides.find { |l| l['name'] == link_name } or
        raise ArgumentError, "job #{job} provides no link #{link_name}"
      new(Properties.new(spec, properties, only: provided.fetch('properties', [])), instances, address)
    end

    # from_hash builds a link another release provides (e.g. nats-tls): the
    # properties its provider declares for the link (default: those given)
    # with the values given.
    def self.from_hash(properties, declared: nil, instances: [], address: nil)
      declared = (declared || flatten(properties).map(&:first)).to_h { |name| [name, {}] }
      spec = JobSpec.new('(link)', 'properties' => declared)
      new(Properties.new(spec, properties), instances, address)
    end

    def self.flatten(hash, prefix = nil)
      hash.flat_map do |key, value|
        name = [prefix, key.to_s].compact.join('.')
        value.is_a?(Hash) && !value.empty? ? flatten(value, name) : [[name, value]]
      end
    end

    def initialize(properties, instances, address)
      @properties = properties
      @instances = instances.map { |i| i.is_a?(Instance) ? i : Instance.new(**i) }
      @address = address
    end
  end

  # Context is the binding templates are rendered in.
  class Context
    include PropertyReader

    def initialize(job_spec, properties, links, spec)
      @job_spec = job_spec
      @properties = Properties.new(job_spec, properties)
      @links = links
      @spec = OpenStruct.new(spec)
      check_links
    end

    attr_reader :spec

    def link(name)
      @links.fetch(name) { raise UnknownProperty, "Can't find link '#{name}'" }
    end

    def if_link(name)
      return ElseClause.new(false) unless @links.key?(name)

      ElseClause.new(true, yield(@links[name]))
    end

    # render evaluates the template in this object's singleton scope, so the
    # methods and constants a template defines stay with this render.
    def render(source)
      ERB.new(File.read(source), trim_mode: '-').result(instance_eval { binding })
    end

    private

    def check_links
      consumed = @job_spec.consumes.map { |l| l['name'] }
      unknown = @links.keys - consumed
      raise ArgumentError, "job #{@job_spec.name} consumes no link #{unknown.join(', ')}" unless unknown.empty?
    end
  end

  DEFAULT_SPEC = {
    address: '10.0.1.5', ip: '10.0.1.5', id: 'b1c2d3e4-0000-4000-8000-000000000001', index: 0, az: 'z1',
    deployment: 'cf', name: 'cf-mesh-control', bootstrap: true
  }.freeze

  # render renders one of a job's templates, by its destination path.
  def self.render(job, destination, properties: {}, links: {}, spec: {})
    job_spec = JobSpec.load(job)
    Context.new(job_spec, properties, links, DEFAULT_SPEC.merge(spec)).render(job_spec.source(destination))
  end

  # match_rendered compares text with spec/fixtures/rendered/<path>, or
  # rewrites the file when UPDATE_RENDERED is set. The Go tests in
  # src/internal/release parse these files with the Go config types.
  def self.match_rendered(path, text)
    file = File.join(RENDERED_DIR, path)
    if ENV['UPDATE_RENDERED']
      FileUtils.mkdir_p(File.dirname(file))
      File.write(file, text)
    end
    raise "#{file} is missing: run UPDATE_RENDERED=1 rspec" unless File.exist?(file)

    File.read(file)
  end
end

# deep_merge overlays b on a, hashes merged key by key: a test's overrides on
# an example's properties.
def deep_merge(a, b)
  a.merge(b) { |_, x, y| x.is_a?(Hash) && y.is_a?(Hash) ? deep_merge(x, y) : y }
end

# without removes a dotted property from an example's properties.
def without(properties, name)
  *path, last = name.split('.')
  copy = Marshal.load(Marshal.dump(properties))
  parent = path.reduce(copy) { |node, key| node.fetch(key) }
  parent.delete(last)
  copy
end

# bash_syntax_errors returns what `bash -n` says about a rendered script.
def bash_syntax_errors(script)
  require 'open3'
  _, err, = Open3.capture3('bash', '-n', stdin_data: script)
  err
end

# Placeholder PEM blocks: the templates check the PEM armour, nothing reads
# the key material.
module FakePEM
  def self.cert(label)
    "-----BEGIN CERTIFICATE-----\n#{[label].pack('m0')}\n-----END CERTIFICATE-----\n"
  end

  def self.key(label)
    "-----BEGIN RSA PRIVATE KEY-----\n#{[label].pack('m0')}\n-----END RSA PRIVATE KEY-----\n"
  end
end

RSpec.configure do |config|
  config.expect_with(:rspec) { |c| c.syntax = :expect }
  config.disable_monkey_patching!
  config.order = :defined
end
