package backend

// The harness may import anything.
import "example.test/flow/internal/xdsserver"

var X = xdsserver.X
