package mcpserver

// A copilot runner importing shared packages and a socket library: allowed.
import (
	"net"

	"example.test/flow/internal/mesh"
)

var _ = mesh.X
var _ = net.Dial
