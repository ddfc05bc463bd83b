package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
)

// Env names the variable holding the configuration file's path.
const Env = "CONFIG"

// Defaults for fields left empty.
const (
	DefaultInternalDomain     = "apps.internal"
	DefaultStack              = "cflinuxfs4"
	DefaultBuildpack          = "binary_buildpack"
	DefaultNamePrefix         = "CFMESH-ACC"
	DefaultRequests           = 200
	DefaultSplitTolerance     = 10.0
	DefaultTimeout            = time.Minute
	DefaultCFPushTimeout      = 5 * time.Minute
	DefaultConvergenceTimeout = 2 * time.Minute
	DefaultBoshDeployTimeout  = time.Hour
	defaultHTTPSPort          = "443"
)

// Config is the suite's configuration file.
type Config struct {
	// API is the Cloud Controller API, e.g. api.sys.example.com. Required.
	API string `json:"api"`
	// AdminUser and AdminPassword log in as a user; AdminClient and
	// AdminClientSecret with client credentials. Exactly one pair.
	AdminUser         string `json:"admin_user"`
	AdminPassword     string `json:"admin_password"`
	AdminClient       string `json:"admin_client"`
	AdminClientSecret string `json:"admin_client_secret"`
	// SkipSSLValidation trusts any certificate, the API's and the
	// gateway's (test foundations with self-signed certificates).
	SkipSSLValidation bool `json:"skip_ssl_validation"`
	// AppsDomain is the shared domain the cf-mesh gateway serves, e.g.
	// apps.example.com. Required.
	AppsDomain string `json:"apps_domain"`
	// InternalDomain is the mesh-only domain; default apps.internal.
	InternalDomain string `json:"internal_domain"`
	// GatewayAddress is the cf-mesh gateway's HTTP listener, host[:port]
	// (its load balancer); requests name the route in the Host header.
	// Required.
	GatewayAddress string `json:"gateway_address"`
	// GatewayHTTPSAddress is its HTTPS listener; default the gateway's host
	// on port 443.
	GatewayHTTPSAddress string `json:"gateway_https_address"`
	// GatewayCACertFile is a PEM file of the CA that signed the operator's
	// certificate for the apps domain; empty trusts the system roots.
	GatewayCACertFile string `json:"gateway_ca_cert_file"`
	// Stack and Buildpack push the sample app (a Linux binary); defaults
	// cflinuxfs4 and binary_buildpack.
	Stack     string `json:"stack"`
	Buildpack string `json:"buildpack"`
	// MeshctlPath is a meshctl binary; empty builds one from src/.
	MeshctlPath string `json:"meshctl_path"`
	// NamePrefix starts every org, space, app and host the suite creates;
	// default CFMESH-ACC.
	NamePrefix string `json:"name_prefix"`
	// Requests is how many requests measure a split (default 200);
	// SplitTolerance how many percentage points a share may miss its
	// weight by (default 10).
	Requests       int     `json:"requests"`
	SplitTolerance float64 `json:"split_tolerance"`
	// DefaultTimeout bounds a cf command (default 1m), CFPushTimeout a push
	// (5m), ConvergenceTimeout a change reaching the gateway (2m).
	DefaultTimeout     jsonduration.Duration `json:"default_timeout"`
	CFPushTimeout      jsonduration.Duration `json:"cf_push_timeout"`
	ConvergenceTimeout jsonduration.Duration `json:"convergence_timeout"`
	// Bosh enables the upgrade scenario.
	Bosh Bosh `json:"bosh"`
}

// Bosh says how the suite runs `bosh deploy` of a new cf-mesh version
// while it measures failed requests.
type Bosh struct {
	// Deployment is the deployment holding cf-mesh (e.g. cf).
	Deployment string `json:"deployment"`
	// DeployArgs follow `bosh -n -d <deployment> deploy`: the manifest and
	// its ops-files and variables, with the new cf-mesh release.
	DeployArgs []string `json:"deploy_args"`
	// DeployTimeout bounds the deploy; default 1h.
	DeployTimeout jsonduration.Duration `json:"deploy_timeout"`
}

// Load reads the file at path, rejecting unknown fields, then defaults and
// validates it.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("acceptance config: %w", err)
	}
	c, err := Parse(bytes.NewReader(data))
	if err != nil {
		return Config{}, fmt.Errorf("acceptance config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a configuration, then defaults and validates it.
func Parse(r io.Reader) (Config, error) {
	var c Config
	decoder := json.NewDecoder(r)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("not a configuration: %w", err)
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

// WithDefaults fills the empty fields that have defaults.
func (c Config) WithDefaults() Config {
	setString(&c.InternalDomain, DefaultInternalDomain)
	setString(&c.Stack, DefaultStack)
	setString(&c.Buildpack, DefaultBuildpack)
	setString(&c.NamePrefix, DefaultNamePrefix)
	if c.Requests == 0 {
		c.Requests = DefaultRequests
	}
	if c.SplitTolerance == 0 {
		c.SplitTolerance = DefaultSplitTolerance
	}
	setDuration(&c.DefaultTimeout, DefaultTimeout)
	setDuration(&c.CFPushTimeout, DefaultCFPushTimeout)
	setDuration(&c.ConvergenceTimeout, DefaultConvergenceTimeout)
	setDuration(&c.Bosh.DeployTimeout, DefaultBoshDeployTimeout)
	if c.GatewayHTTPSAddress == "" && c.GatewayAddress != "" {
		c.GatewayHTTPSAddress = net.JoinHostPort(hostOf(c.GatewayAddress), defaultHTTPSPort)
	}
	return c
}

// Validate names every problem by its JSON field.
func (c Config) Validate() error {
	var errs []error
	required := map[string]string{"api": c.API, "apps_domain": c.AppsDomain, "gateway_address": c.GatewayAddress}
	for _, field := range []string{"api", "apps_domain", "gateway_address"} {
		if strings.TrimSpace(required[field]) == "" {
			errs = append(errs, fmt.Errorf("%s: required", field))
		}
	}
	errs = append(errs, c.validateCredentials())
	if c.AppsDomain != "" && c.AppsDomain == c.InternalDomain {
		errs = append(errs, fmt.Errorf("internal_domain: %q is the apps domain too", c.InternalDomain))
	}
	if c.Requests < 10 {
		errs = append(errs, fmt.Errorf("requests: %d is too few to measure a split (at least 10)", c.Requests))
	}
	if c.SplitTolerance <= 0 || c.SplitTolerance > 50 {
		errs = append(errs, fmt.Errorf("split_tolerance: %g must be above 0 and at most 50 points", c.SplitTolerance))
	}
	for field, d := range map[string]jsonduration.Duration{
		"default_timeout": c.DefaultTimeout, "cf_push_timeout": c.CFPushTimeout,
		"convergence_timeout": c.ConvergenceTimeout, "bosh.deploy_timeout": c.Bosh.DeployTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s must be positive", field, d))
		}
	}
	if len(c.Bosh.DeployArgs) > 0 && c.Bosh.Deployment == "" {
		errs = append(errs, errors.New("bosh.deployment: required with bosh.deploy_args"))
	}
	return errors.Join(errs...)
}

func (c Config) validateCredentials() error {
	user := c.AdminUser != "" || c.AdminPassword != ""
	client := c.AdminClient != "" || c.AdminClientSecret != ""
	switch {
	case user && client:
		return errors.New("admin_user and admin_client: set one way to log in, not both")
	case user && (c.AdminUser == "" || c.AdminPassword == ""):
		return errors.New("admin_user and admin_password: set both")
	case client && (c.AdminClient == "" || c.AdminClientSecret == ""):
		return errors.New("admin_client and admin_client_secret: set both")
	case !user && !client:
		return errors.New("admin_user and admin_password (or admin_client and admin_client_secret): required")
	}
	return nil
}

// BoshSkipReason says why the upgrade scenario cannot run, or "" when it
// can: it needs bosh.deployment, bosh.deploy_args and a bosh binary.
func (c Config) BoshSkipReason(lookPath func(string) (string, error)) string {
	switch {
	case c.Bosh.Deployment == "" || len(c.Bosh.DeployArgs) == 0:
		return "set bosh.deployment and bosh.deploy_args (the manifest and ops-files deploying the new cf-mesh release) to run an upgrade"
	default:
		if _, err := lookPath("bosh"); err != nil {
			return "no bosh CLI on PATH: " + err.Error()
		}
	}
	return ""
}

func hostOf(address string) string {
	if host, _, err := net.SplitHostPort(address); err == nil {
		return host
	}
	return address
}

func setString(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

func setDuration(d *jsonduration.Duration, def time.Duration) {
	if *d == 0 {
		*d = jsonduration.Duration(def)
	}
}
