package routingtable

// Imports a later stage, a runner, a socket library, and reads the clock.
import (
	"net/http"
	"time"

	"example.test/flow/internal/localfoundation/backend"
	"example.test/flow/internal/meshconfig"
	"example.test/flow/internal/xdsserver"
)

var _ = meshconfig.X
var _ = xdsserver.X
var _ = backend.X
var _ = http.Get

func stamp() time.Time { go func() {}(); return time.Now() }
