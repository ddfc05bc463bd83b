package meshbench

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Options configure a Run. WithDefaults fills what is left zero.
type Options struct {
	Size Size
	// WorkDir holds configurations, certificates and process logs.
	// Required.
	WorkDir string
	// Binaries is the directory holding the `copilot`, `pilot` and
	// `meshbench` binaries to run as child processes; empty runs the
	// copilot, the pilot and the naive control plane in this process
	// (the smoke test), where CPU and memory cannot be told apart.
	Binaries string
	// RegisterInterval is route-emitter's re-registration interval, sent
	// by the copilot in router.start (default 20s, routing-release's).
	RegisterInterval time.Duration
	// Debounce is both processes' debounce (default: theirs, 100ms).
	Debounce time.Duration
	// EndpointChanges and WeightChanges are how many changes of each kind
	// ours gets; NaiveEndpointChanges and NaiveWeightChanges the naive
	// control plane's (0: no naive phase).
	EndpointChanges, WeightChanges           int
	NaiveEndpointChanges, NaiveWeightChanges int
	// Steady is how long steady re-registration is watched (default two
	// register intervals plus 5s).
	Steady time.Duration
	// ChangeTimeout bounds the wait for one change to converge; a change
	// that times out counts as ChangeTimeout.
	ChangeTimeout time.Duration
	// StartTimeout bounds cold start and each fleet's first full config.
	StartTimeout time.Duration
	// CopilotMemoryLimit is the copilot binary's GOMEMLIMIT, as the
	// copilot job's go_memory_limit sets it (default DefaultCopilotMemoryLimit;
	// "off" leaves Go's default). In process it does not apply.
	CopilotMemoryLimit string
	// Log receives progress lines (default io.Discard).
	Log io.Writer
}

// DefaultCopilotMemoryLimit is the copilot job's go_memory_limit default.
const DefaultCopilotMemoryLimit = "896MiB"

// DefaultOptions are the counts of a size's run.
func DefaultOptions(size Size) Options {
	o := Options{Size: size, EndpointChanges: 100, WeightChanges: 50, NaiveEndpointChanges: 20, NaiveWeightChanges: 10}
	switch size.Name {
	case Quick.Name:
		o.EndpointChanges, o.WeightChanges, o.NaiveEndpointChanges, o.NaiveWeightChanges = 60, 30, 20, 10
	case Tiny.Name:
		o.EndpointChanges, o.WeightChanges, o.NaiveEndpointChanges, o.NaiveWeightChanges = 4, 2, 2, 2
		o.RegisterInterval, o.Steady, o.Debounce = time.Second, 3*time.Second, 20*time.Millisecond
		o.ChangeTimeout, o.StartTimeout = 10*time.Second, 30*time.Second
	}
	return o
}

// WithDefaults fills zero fields.
func (o Options) WithDefaults() Options {
	if o.RegisterInterval == 0 {
		o.RegisterInterval = 20 * time.Second
	}
	if o.Steady == 0 {
		o.Steady = 2*o.RegisterInterval + 5*time.Second
	}
	if o.ChangeTimeout == 0 {
		o.ChangeTimeout = 30 * time.Second
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 10 * time.Minute
	}
	if o.CopilotMemoryLimit == "" {
		o.CopilotMemoryLimit = DefaultCopilotMemoryLimit
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if _, ok := o.Log.(*lockedWriter); !ok {
		o.Log = &lockedWriter{w: o.Log} // the fleet's proxies log concurrently
	}
	return o
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Validate reports every problem.
func (o Options) Validate() error {
	var errs []error
	if err := o.Size.Validate(); err != nil {
		errs = append(errs, err)
	}
	if o.WorkDir == "" {
		errs = append(errs, errors.New("work dir: required"))
	}
	if o.RegisterInterval < time.Second {
		errs = append(errs, fmt.Errorf("register interval: at least 1s, got %s", o.RegisterInterval))
	}
	for name, n := range map[string]int{"endpoint changes": o.EndpointChanges, "weight changes": o.WeightChanges,
		"naive endpoint changes": o.NaiveEndpointChanges, "naive weight changes": o.NaiveWeightChanges} {
		if n < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative", name))
		}
	}
	return errors.Join(errs...)
}

// copilotMemoryLimit is the GOMEMLIMIT value to give the copilot, "" for
// none.
func (o Options) copilotMemoryLimit() string {
	if o.CopilotMemoryLimit == "off" {
		return ""
	}
	return o.CopilotMemoryLimit
}
