package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/cf/config"
)

const minimal = `{
  "api": "api.sys.example.com",
  "admin_user": "admin",
  "admin_password": "secret",
  "apps_domain": "apps.example.com",
  "gateway_address": "10.0.16.4:80"
}`

var _ = Describe("Config", func() {
	It("reads a file and fills the defaults", func() {
		path := filepath.Join(GinkgoT().TempDir(), "config.json")
		Expect(os.WriteFile(path, []byte(minimal), 0o600)).To(Succeed())
		c, err := config.Load(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.API).To(Equal("api.sys.example.com"))
		Expect(c.InternalDomain).To(Equal("apps.internal"))
		Expect(c.GatewayHTTPSAddress).To(Equal("10.0.16.4:443"))
		Expect(c.Stack).To(Equal(config.DefaultStack))
		Expect(c.Buildpack).To(Equal(config.DefaultBuildpack))
		Expect(c.Requests).To(Equal(config.DefaultRequests))
		Expect(c.SplitTolerance).To(Equal(config.DefaultSplitTolerance))
		Expect(c.DefaultTimeout.Std()).To(Equal(time.Minute))
		Expect(c.CFPushTimeout.Std()).To(Equal(5 * time.Minute))
		Expect(c.ConvergenceTimeout.Std()).To(Equal(2 * time.Minute))
		Expect(c.Bosh.DeployTimeout.Std()).To(Equal(time.Hour))
	})

	It("takes client credentials and a bosh deploy", func() {
		c, err := config.Parse(strings.NewReader(`{"api": "https://api.sys.example.com", "admin_client": "acc", "admin_client_secret": "s",
		  "apps_domain": "apps.example.com", "gateway_address": "gw.example.com", "gateway_https_address": "gw.example.com:8443",
		  "default_timeout": "30s", "bosh": {"deployment": "cf", "deploy_args": ["cf.yml", "-o", "add-cf-mesh.yml"]}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.GatewayHTTPSAddress).To(Equal("gw.example.com:8443"))
		Expect(c.DefaultTimeout.Std()).To(Equal(30 * time.Second))
		Expect(c.Bosh.DeployArgs).To(Equal([]string{"cf.yml", "-o", "add-cf-mesh.yml"}))
	})

	DescribeTable("names every problem by its field",
		func(json, problem string) {
			_, err := config.Parse(strings.NewReader(json))
			Expect(err).To(MatchError(ContainSubstring(problem)))
		},
		Entry("nothing", `{}`, "api: required"),
		Entry("no gateway", `{}`, "gateway_address: required"),
		Entry("no domain", `{}`, "apps_domain: required"),
		Entry("no credentials", `{}`, "admin_user and admin_password (or admin_client and admin_client_secret): required"),
		Entry("half a user", `{"admin_user": "admin"}`, "admin_user and admin_password: set both"),
		Entry("half a client", `{"admin_client_secret": "s"}`, "admin_client and admin_client_secret: set both"),
		Entry("both ways", `{"admin_user": "a", "admin_password": "p", "admin_client": "c", "admin_client_secret": "s"}`, "not both"),
		Entry("an unknown field", `{"apps_domian": "x"}`, `unknown field "apps_domian"`),
		Entry("a duration as a number", `{"default_timeout": 30}`, `duration must be a string such as "10s"`),
		Entry("too few requests", `{"requests": 3}`, "requests: 3 is too few"),
		Entry("a tolerance above half", `{"split_tolerance": 60}`, "split_tolerance: 60"),
		Entry("a negative timeout", `{"convergence_timeout": "-1s"}`, "convergence_timeout: -1s must be positive"),
		Entry("deploy args without a deployment", `{"bosh": {"deploy_args": ["cf.yml"]}}`, "bosh.deployment: required"),
		Entry("one domain for both", `{"apps_domain": "apps.internal"}`, `internal_domain: "apps.internal" is the apps domain too`),
		Entry("not JSON", `api: x`, "not a configuration"),
	)

	It("names the file it could not read", func() {
		_, err := config.Load("/nonexistent/config.json")
		Expect(err).To(MatchError(ContainSubstring("/nonexistent/config.json")))
	})

	Describe("the upgrade scenario", func() {
		found := func(string) (string, error) { return "/usr/local/bin/bosh", nil }
		missing := func(string) (string, error) {
			return "", errors.New(`exec: "bosh": executable file not found in $PATH`)
		}

		It("runs with a deployment, deploy args and a bosh CLI", func() {
			c := config.Config{Bosh: config.Bosh{Deployment: "cf", DeployArgs: []string{"cf.yml"}}}
			Expect(c.BoshSkipReason(found)).To(BeEmpty())
		})

		It("says what is missing otherwise", func() {
			Expect(config.Config{}.BoshSkipReason(found)).To(ContainSubstring("set bosh.deployment and bosh.deploy_args"))
			c := config.Config{Bosh: config.Bosh{Deployment: "cf", DeployArgs: []string{"cf.yml"}}}
			Expect(c.BoshSkipReason(missing)).To(ContainSubstring("no bosh CLI on PATH"))
		})
	})
})
