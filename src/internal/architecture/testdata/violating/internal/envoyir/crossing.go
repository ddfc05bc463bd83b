package envoyir

// The pilot side reaching into the copilot side.
import "example.test/flow/internal/meshconfig"

var _ = meshconfig.X
