package architecture

// Side says which half of cf-mesh a package belongs to.
type Side string

// The sides. Shared packages are the contract between copilot and pilot.
const (
	Copilot Side = "copilot"
	Pilot   Side = "pilot"
	Shared  Side = "shared"
	// Harness packages (local foundation, test support) sit outside the
	// pipeline: they may import it, it never imports them.
	Harness Side = "harness"
)

// Layer classifies one package under internal/.
type Layer struct {
	// Path is relative to internal/, e.g. "source/routeregistry".
	Path string
	// Stage orders the pipeline: a package may import packages of its own
	// or an earlier stage, never a later one.
	Stage int
	Side  Side
	// Pure packages import no runner and do no I/O, concurrency or clock.
	Pure bool
}

// Layers is cf-mesh's architecture, in data-flow order.
var Layers = []Layer{
	{"source", 1, Copilot, true},
	{"source/cloudcontroller", 1, Copilot, true},
	{"source/cloudcontroller/ccpoller", 1, Copilot, false},
	{"source/routefile", 1, Copilot, true},
	{"source/routefile/filewatcher", 1, Copilot, false},
	{"source/routeregistry", 1, Copilot, true},
	{"source/routeregistry/natssubscriber", 1, Copilot, false},
	{"source/networkpolicy", 1, Copilot, true},
	{"source/networkpolicy/policypoller", 1, Copilot, false},
	{"routingtable", 2, Copilot, true},
	// mesh is the mesh-config stage's output type and the contract between
	// the halves; meshconfig produces it.
	{"mesh", 3, Shared, true},
	{"meshconfig", 3, Copilot, true},
	{"mcp", 4, Shared, true},
	{"mcp/mcpserver", 4, Copilot, false},
	{"meshstore", 4, Pilot, true},
	{"mcp/mcpclient", 4, Pilot, false},
	{"envoyir", 5, Pilot, true},
	{"xdsresources", 6, Pilot, true},
	{"xdsserver", 7, Pilot, false},
	{"gatewaybootstrap", 6, Pilot, true},
	{"copilot", 8, Copilot, false},
	{"pilot", 8, Pilot, false},
	{"tlsconfig", 0, Shared, false},
	{"jsonduration", 0, Shared, true},
	{"debounce", 0, Shared, false},
	{"statusserver", 0, Shared, false},
	{"lifecycle", 0, Shared, false},
	{"architecture", 0, Harness, true},
	{"testsupport/golden", 0, Harness, false},
	{"testsupport/loopback", 0, Harness, false},
	{"mcp/internal/mcptest", 0, Harness, false},
	{"mcp/internal/grpctest", 0, Harness, false},
	{"mcp/mcpserver/mcpservertest", 0, Harness, false},
	{"localfoundation", 0, Harness, false},
	{"localfoundation/backend", 0, Harness, false},
	{"localfoundation/pki", 0, Harness, false},
	{"localfoundation/proxyless", 0, Harness, false},
	{"localfoundation/meshapp", 0, Harness, false},
	{"localfoundation/adsprobe", 0, Harness, false},
	{"localfoundation/cloudcontroller", 0, Harness, false},
	{"localfoundation/routeemitter", 0, Harness, false},
	{"localfoundation/testbed", 0, Harness, false},
	{"localfoundation/policyserver", 0, Harness, false},
	{"localfoundation/meshbench", 0, Harness, false},
	{"localfoundation/launch", 0, Harness, false},
	{"meshctl", 0, Harness, false},
}

// forbiddenInPure are imports that mean sockets, files, processes, signals
// or the runners' libraries; each forbids the path and everything below it.
// (net/netip and net/url are pure parsing and stay allowed.)
var forbiddenInPure = []string{
	"net/http",
	"net/rpc",
	"os",
	"syscall",
	"google.golang.org/grpc",
	"github.com/nats-io/",
	"github.com/cloudfoundry/go-cfclient/v3/client",
	"github.com/cloudfoundry/go-cfclient/v3/config",
	"github.com/envoyproxy/go-control-plane/pkg/server",
	"github.com/envoyproxy/go-control-plane/pkg/cache",
	"github.com/prometheus/",
	"code.cloudfoundry.org/lager",
}

// forbiddenExactInPure are imports forbidden only by their exact path.
var forbiddenExactInPure = []string{"net"}

// clockFuncs are the time package's functions that read or wait on the
// clock.
var clockFuncs = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTicker": true, "NewTimer": true,
}
