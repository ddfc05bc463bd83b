package mcpserver_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
)

// A real istiod, when one is installed: `pilot-discovery discovery` with no
// service registry, a mesh config whose only config source is this copilot
// (plaintext, loopback), every port on 127.0.0.1, its files in a temp dir.
// istiod reports ready (GET /ready on its HTTP port) only after its config
// sources synced, so readiness proves it took our collections.
var _ = Describe("Server with a real istiod (pilot-discovery)", func() {
	It("gets istiod ready with the copilot as its only config source", func() {
		binary, err := exec.LookPath("pilot-discovery")
		if err != nil {
			Skip("pilot-discovery not on PATH: " + err.Error() + "; the adsc-emulating specs cover the protocol without it")
		}

		registry := prometheus.NewRegistry()
		server := mcpserver.New(lagertest.NewTestLogger("test"), registry)
		server.Publish(mcptest.Foundation(20, 3))
		srv, err := mcpservertest.Serve("127.0.0.1:0", server.Register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Stop)

		dir := GinkgoT().TempDir()
		meshConfig := filepath.Join(dir, "mesh.yaml")
		Expect(os.WriteFile(meshConfig, []byte(fmt.Sprintf(
			"configSources:\n- address: xds://%s\nrootNamespace: istio-system\n", srv.Addr)), 0o600)).To(Succeed())
		httpAddr := freeLoopback()

		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		DeferCleanup(cancel)
		cmd := exec.CommandContext(ctx, binary, "discovery",
			"--meshConfig", meshConfig,
			"--networksConfig", filepath.Join(dir, "mesh-networks.yaml"),
			"--registries=",
			"--domain", "cluster.local",
			"--httpAddr", httpAddr,
			"--grpcAddr", freeLoopback(),
			"--secureGRPCAddr", "",
			"--httpsAddr", freeLoopback(),
			"--monitoringAddr", freeLoopback(),
			"--ctrlz_address", "127.0.0.1",
			"--ctrlz_port", portOf(freeLoopback()),
		)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "POD_NAMESPACE=istio-system", "POD_NAME=istiod-cf-mesh-test", "ENABLE_CA_SERVER=false")
		output := gbytes.NewBuffer()
		cmd.Stdout = io.MultiWriter(output, GinkgoWriter)
		cmd.Stderr = cmd.Stdout
		Expect(cmd.Start()).To(Succeed())
		DeferCleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})

		Eventually(func() (int, error) {
			resp, err := http.Get("http://" + httpAddr + "/ready")
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			return resp.StatusCode, nil
		}, "60s", "500ms").Should(Equal(http.StatusOK), "istiod output:\n%s", output.Contents())

		for _, typeURL := range []string{gwV1, vsV1, drV1, seV1} {
			Expect(mcpservertest.MetricValue(registry, "cfmesh_copilot_mcp_pushes_total", map[string]string{"collection": typeURL})).
				To(BeNumerically(">=", 1), typeURL)
		}
	})
})

func freeLoopback() string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer lis.Close()
	return lis.Addr().String()
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	Expect(err).NotTo(HaveOccurred())
	return port
}
