// Package cf_test is the acceptance suite against a real Cloud Foundry
// foundation running cf-mesh, configured like cf-acceptance-tests by the
// JSON file $CONFIG names (acceptance/README.md). It works as operators and
// developers do: the cf CLI pushes a sample app (assets/meshapp) twice,
// maps routes and sets weights (`cf curl -X PATCH` and meshctl), and HTTP
// requests through the cf-mesh gateway measure what happened. Without a
// configuration or a cf CLI every spec is skipped, saying why. Each
// scenario is one file holding one Describe.
package cf_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/cf/config"
	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

var (
	cfg config.Config
	// skipReason is why no spec can run here; empty when a foundation is
	// configured.
	skipReason string
	// suiteDir holds CF_HOME, the built binaries and the report.
	suiteDir string
	// hello and hola are the two pushed apps every scenario may map.
	hello, hola string
)

func TestRealFoundation(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Acceptance: real Cloud Foundry Suite")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	suiteDir, err = os.MkdirTemp("", "cf-mesh-acceptance-cf-")
	Expect(err).NotTo(HaveOccurred())
	path := os.Getenv(config.Env)
	if path == "" {
		skipReason = fmt.Sprintf("no foundation configured: set $%s to a JSON configuration file (acceptance/README.md)", config.Env)
	} else if _, err := exec.LookPath("cf"); err != nil {
		skipReason = "no cf CLI on PATH: " + err.Error()
	}
	if skipReason != "" {
		report.Note("skipped", "%s", skipReason)
		return
	}
	cfg, err = config.Load(path)
	Expect(err).NotTo(HaveOccurred())
	report.Note("foundation", "%s, apps domain %s, gateway %s", cfg.API, cfg.AppsDomain, cfg.GatewayAddress)

	By("logging in and creating an org and a space")
	login(ctx)
	By("building and pushing the sample app twice")
	appDir := buildApp(ctx)
	hello, hola = name("hello"), name("hola")
	pushApp(ctx, hello, appDir)
	pushApp(ctx, hola, appDir)
	report.Note("apps", "%s and %s in org %s", hello, hola, org)
}, NodeTimeout(30*time.Minute))

// Every spec needs a foundation.
var _ = BeforeEach(func() {
	if skipReason != "" {
		Skip(skipReason)
	}
})

var _ = ReportAfterSuite("acceptance table", func(r Report) {
	dir := suiteDir
	if dir == "" {
		dir = os.TempDir()
	}
	path := report.Path(report.CFPathEnv, filepath.Join(dir, "report.txt"))
	table := report.FromGinkgo("real Cloud Foundry", r)
	Expect(report.Write(table, path)).To(Succeed())
	Expect(table.Render(GinkgoWriter)).To(Succeed())
	fmt.Fprintf(GinkgoWriter, "\nacceptance table written to %s\n", path)
})
