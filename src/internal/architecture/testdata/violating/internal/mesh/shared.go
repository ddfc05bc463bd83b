package mesh

// A shared package depending on one side.
import "example.test/flow/internal/envoyir"

var _ = envoyir.X
