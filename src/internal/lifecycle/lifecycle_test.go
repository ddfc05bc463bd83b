package lifecycle_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

// sampleConfig exercises ParseConfig.
type sampleConfig struct {
	Port     int    `json:"port"`
	LogLevel string `json:"log_level"`
}

func (c sampleConfig) WithDefaults() sampleConfig {
	if c.Port == 0 {
		c.Port = 8080
	}
	return c
}

func (c sampleConfig) Validate() error {
	if c.Port > 65535 {
		return errors.New("port: not a port")
	}
	return nil
}

func (c sampleConfig) Level() string { return c.LogLevel }

var _ = Describe("Run", func() {
	It("stops every component when one fails and names the failure", func() {
		stopped := make(chan struct{})
		err := lifecycle.Run(context.Background(), lagertest.NewTestLogger("test"),
			lifecycle.Component{Name: "waits", Run: func(ctx context.Context) error {
				<-ctx.Done()
				close(stopped)
				return nil
			}},
			lifecycle.Component{Name: "breaks", Run: func(context.Context) error { return errors.New("socket gone") }},
		)
		Expect(err).To(MatchError("breaks: socket gone"))
		Expect(stopped).To(BeClosed())
	})

	It("returns nil when its context ends and every component stops cleanly", func() {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		Expect(lifecycle.Run(ctx, lagertest.NewTestLogger("test"),
			lifecycle.Component{Name: "waits", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }},
		)).To(Succeed())
	})
})

var _ = Describe("ParseConfig", func() {
	It("applies defaults", func() {
		c, err := lifecycle.ParseConfig[sampleConfig]("sample", strings.NewReader(`{"log_level":"debug"}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(sampleConfig{Port: 8080, LogLevel: "debug"}))
	})

	DescribeTable("rejects bad files with the component's name and the reason",
		func(input, want string) {
			_, err := lifecycle.ParseConfig[sampleConfig]("sample", strings.NewReader(input))
			Expect(err).To(MatchError(ContainSubstring(want)))
			Expect(err.Error()).To(HavePrefix("sample config: "))
		},
		Entry("an unknown field (a typo in a property)", `{"prot": 1}`, `unknown field "prot"`),
		Entry("not JSON", `port: 1`, "invalid character"),
		Entry("invalid after defaults", `{"port": 70000}`, "port: not a port"),
	)

	It("names a missing file", func() {
		_, err := lifecycle.LoadConfig[sampleConfig]("sample", "/nonexistent/sample.json")
		Expect(err).To(MatchError(ContainSubstring("/nonexistent/sample.json")))
	})
})

var _ = Describe("NewLogger", func() {
	It("writes JSON lines at the configured level", func() {
		var out bytes.Buffer
		logger, err := lifecycle.NewLogger("copilot", "error", &out)
		Expect(err).NotTo(HaveOccurred())
		logger.Info("quiet")
		logger.Error("loud", errors.New("boom"))
		Expect(out.String()).NotTo(ContainSubstring("quiet"))
		Expect(out.String()).To(ContainSubstring(`"message":"copilot.loud"`))
	})

	It("rejects an unknown level", func() {
		_, err := lifecycle.NewLogger("copilot", "verbose", &bytes.Buffer{})
		Expect(err).To(MatchError(ContainSubstring(`log_level "verbose"`)))
	})
})

var _ = Describe("ProblemLog", func() {
	It("logs a problem when it appears and when it is resolved, not on every build", func() {
		logger := lagertest.NewTestLogger("test")
		gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "problems"})
		problems := lifecycle.NewProblemLog(logger, "compile-problem", gauge)
		a, b := errors.New("host a dropped"), errors.New("host b dropped")

		problems.Report([]error{a, b})
		problems.Report([]error{a, b})
		problems.Report([]error{a})

		var actions []string
		for _, l := range logger.Logs() {
			actions = append(actions, l.Message+": "+l.Data["problem"].(string))
		}
		Expect(actions).To(Equal([]string{
			"test.compile-problem: host a dropped",
			"test.compile-problem: host b dropped",
			"test.compile-problem-resolved: host b dropped",
		}))
		m := &dto.Metric{}
		Expect(gauge.Write(m)).To(Succeed())
		Expect(m.GetGauge().GetValue()).To(BeEquivalentTo(1))
	})
})
