package meshctl_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/meshctl"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
)

// testNow is the clock of every command run in tests.
var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// result is what one meshctl run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// runWith runs meshctl with env variables vars (CF_HOME, HOME) and a
// bounded context.
func runWith(vars map[string]string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := meshctl.Run(ctx, args, meshctl.Env{
		Stdout:     &stdout,
		Stderr:     &stderr,
		Getenv:     func(k string) string { return vars[k] },
		Hostname:   func() (string, error) { return "gateway-host-7", nil },
		Now:        func() time.Time { return testNow },
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
	})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func run(args ...string) result { return runWith(nil, args...) }

// serve starts a loopback HTTP server with the given handlers, closed after
// the test; it returns its host:port.
func serve(handlers map[string]http.Handler) string {
	mux := http.NewServeMux()
	for path, h := range handlers {
		mux.Handle(path, h)
	}
	s := httptest.NewServer(mux)
	DeferCleanup(s.Close)
	return s.Listener.Addr().String()
}

// expectGolden compares output with testdata/out/<name>.
func expectGolden(name, output string) {
	GinkgoHelper()
	Expect(golden.Compare("testdata/out/"+name, []byte(output))).To(Succeed())
}

// expectFailure checks a failed run: the exit code and one line on stderr
// that contains every part.
func expectFailure(r result, code int, parts ...string) {
	GinkgoHelper()
	Expect(r.code).To(Equal(code), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	Expect(r.stderr).To(HavePrefix("meshctl: "))
	Expect(bytes.Count([]byte(r.stderr), []byte("\n"))).To(Equal(1), "one line: %q", r.stderr)
	for _, p := range parts {
		Expect(r.stderr).To(ContainSubstring(p))
	}
}
