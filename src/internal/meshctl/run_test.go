package meshctl_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/meshctl"
)

var _ = Describe("meshctl", func() {
	It("lists its commands when asked, and when given none", func() {
		r := run("help")
		Expect(r.code).To(Equal(meshctl.ExitOK))
		for _, c := range []string{"routes", "proxies", "config-dump", "bootstrap", "weights"} {
			Expect(r.stdout).To(ContainSubstring("  " + c + " "))
		}
		Expect(run().code).To(Equal(meshctl.ExitUsage))
		Expect(run("--help").code).To(Equal(meshctl.ExitOK))
	})

	It("prints a command's flags with their defaults for --help", func() {
		r := run("routes", "--help")
		Expect(r.code).To(Equal(meshctl.ExitOK))
		Expect(r.stdout).To(ContainSubstring("--copilot"))
		Expect(r.stdout).To(ContainSubstring("(default 127.0.0.1:9014)"))
		r = run("bootstrap", "gateway", "-h")
		Expect(r.code).To(Equal(meshctl.ExitOK))
		Expect(r.stdout).To(ContainSubstring("--pilot-tls-server-name"))
		r = run("weights", "--help")
		Expect(r.code).To(Equal(meshctl.ExitOK))
		Expect(r.stdout).To(ContainSubstring("meshctl weights set ROUTE APP[:PROCESS_TYPE]=WEIGHT"))
	})

	DescribeTable("refuses an unknown command with exit code 2 and one line",
		func(reason string, args ...string) { expectFailure(run(args...), meshctl.ExitUsage, reason) },
		Entry("top level", `unknown command "route" (run `+"`meshctl help`"+`)`, "route"),
		Entry("weights", `weights has no command "delete": get, set or reset`, "weights", "delete"),
		Entry("weights without a command", "weights needs get, set or reset", "weights"),
		Entry("weights without a route", "weights get needs a route: host.domain[/path]", "weights", "get"),
		Entry("a bad --timeout", `invalid value "soon" for flag -timeout`, "proxies", "--timeout", "soon"),
	)
})
