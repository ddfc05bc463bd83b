package testbed

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// Fault is a disruption that ends by itself after its duration.
type Fault struct {
	// Name says what the fault does, e.g. "nats-outage".
	Name string
	// Started and Duration bound it in time.
	Started  time.Time
	Duration time.Duration

	done       chan struct{}
	cancelled  chan struct{}
	cancelOnce sync.Once
	err        error // written before done closes
}

func newFault(name string, d time.Duration) *Fault {
	return &Fault{Name: name, Started: time.Now(), Duration: d, done: make(chan struct{}), cancelled: make(chan struct{})}
}

// Done is closed when the fault is over and what it broke is back.
func (f *Fault) Done() <-chan struct{} { return f.done }

// Err is nil unless restoring what the fault broke failed; read it after
// Done.
func (f *Fault) Err() error {
	<-f.done
	return f.err
}

// End ends the fault early and waits until it is over.
func (f *Fault) End() {
	f.cancelOnce.Do(func() { close(f.cancelled) })
	<-f.done
}

func (f *Fault) end() { close(f.done) }

// active reports whether the fault is still in its window.
func (f *Fault) active() bool {
	select {
	case <-f.cancelled:
		return false
	default:
		return time.Since(f.Started) < f.Duration
	}
}

// endAfter closes done once the duration passed or the fault is ended.
func (f *Fault) endAfter() {
	defer f.end()
	select {
	case <-time.After(time.Until(f.Started.Add(f.Duration))):
	case <-f.cancelled:
	}
}

// CCOutage is a Cloud Controller outage in progress.
type CCOutage struct {
	*Fault
	requests, errors, hangs atomic.Int64
}

// Answered returns how many requests the outage answered with a 500 and
// how many it let hang.
func (o *CCOutage) Answered() (errors, hangs int64) {
	return o.errors.Load(), o.hangs.Load()
}

// ccErrorBody is Cloud Controller's answer to an unexpected failure.
const ccErrorBody = `{"errors":[{"code":10001,"title":"CF-ServerError","detail":"An unknown error occurred."}]}`

// CloudControllerOutage makes the Cloud Controller stand-in fail every
// request but UAA's token endpoint for d: alternately a 500 with Cloud
// Controller's error body, and a hang longer than the copilot's request
// timeout. Outside its time window the fault does nothing, so it ends by
// itself.
func (f *Foundation) CloudControllerOutage(d time.Duration) *CCOutage {
	o := &CCOutage{Fault: newFault("cloud-controller-outage", d)}
	hang := f.opts.CCRequestTimeout + time.Second
	f.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
		if !o.active() || strings.HasPrefix(r.URL.Path, "/oauth/") {
			return 0, "", 0, false
		}
		if o.requests.Add(1)%2 == 1 {
			o.errors.Add(1)
			return http.StatusInternalServerError, ccErrorBody, 0, true
		}
		o.hangs.Add(1)
		return http.StatusServiceUnavailable, ccErrorBody, hang, true
	})
	f.track(o.Fault)
	f.logger.Info("cloud-controller-outage-started", lager.Data{"duration": d.String(), "hang": hang.String()})
	go o.endAfter()
	return o
}
