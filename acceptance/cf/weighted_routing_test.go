package cf_test

import (
	"fmt"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

var _ = Describe("Weighted routing", Ordered, func() {
	var (
		host, routeURL string
		g              gateway
	)

	BeforeAll(func(ctx SpecContext) {
		host = name("weighted")
		routeURL = host + "." + cfg.AppsDomain
		g = newGateway()
		cf(ctx, "create-route", cfg.AppsDomain, "--hostname", host)
		cf(ctx, "map-route", hello, cfg.AppsDomain, "--hostname", host)
		cf(ctx, "map-route", hola, cfg.AppsDomain, "--hostname", host)
		eventuallyAnswers(ctx, g, routeURL, "/", 200, "")
	})

	It("splits requests through the gateway by the weights PATCHed with cf curl", func(ctx SpecContext) {
		body := fmt.Sprintf(`{"destinations":[{"app":{"guid":%q},"weight":80},{"app":{"guid":%q},"weight":20}]}`,
			guidOf(ctx, "app", hello), guidOf(ctx, "app", hola))
		cf(ctx, "curl", "-X", "PATCH", "/v3/routes/"+routeGUID(ctx, host, cfg.AppsDomain)+"/destinations", "-d", body)
		took := expectSplit(ctx, g, routeURL, map[string]int{hello: 80, hola: 20})
		report.Measure("PATCH to split", "%s", seconds(took))
	})

	It("follows the weights meshctl weights set writes", func(ctx SpecContext) {
		meshctl := meshctlBinary(ctx)
		command(ctx, cfg.DefaultTimeout.Std(), meshctl, "weights", "set", routeURL, hello+"=20", hola+"=80")
		took := expectSplit(ctx, g, routeURL, map[string]int{hello: 20, hola: 80})
		report.Measure("meshctl to split", "%s", seconds(took))
		command(ctx, cfg.DefaultTimeout.Std(), meshctl, "weights", "reset", routeURL)
	})
})

// meshctlBinary is the configured meshctl, or one built from src/.
func meshctlBinary(ctx SpecContext) string {
	if cfg.MeshctlPath != "" {
		return cfg.MeshctlPath
	}
	out := filepath.Join(suiteDir, "bin", "meshctl")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/meshctl")
	cmd.Dir = filepath.Join("..", "..", "src")
	output, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(output))
	return out
}
