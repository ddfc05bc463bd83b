package filewatcher

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"reflect"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routefile"
)

// DefaultInterval is the poll interval New uses when given zero or less.
const DefaultInterval = time.Second

// Watcher publishes the routes of one route file.
type Watcher struct {
	path     string
	interval time.Duration
	logger   lager.Logger
	publish  func(source.DesiredRoutes)
	running  atomic.Bool

	// Owned by Run's goroutine.
	pending   fingerprint // of the content the last poll read
	seen      fingerprint // of the last content handled
	lastErr   string      // the last read error logged
	last      source.DesiredRoutes
	published bool
}

// fingerprint identifies a version of the file.
type fingerprint struct {
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte
}

// New returns a Watcher for the route file at path, polled every interval
// (DefaultInterval when interval ≤ 0). It does not touch the file: Run does.
func New(path string, interval time.Duration, logger lager.Logger, publish func(source.DesiredRoutes)) *Watcher {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return &Watcher{
		path:     path,
		interval: interval,
		logger:   logger.Session("route-file-watcher", lager.Data{"path": path}),
		publish:  publish,
	}
}

// Run reads the file at once and then every interval until ctx ends; it
// then returns nil. It returns an error only when called a second time.
func (w *Watcher) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("filewatcher: Run may be called only once")
	}
	w.logger.Info("starting", lager.Data{"interval": w.interval.String()})
	defer w.logger.Info("stopped")
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	for {
		w.poll()
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// poll reads the file and handles a new version of it once that version
// has stayed the same for one interval, so a file caught mid-write is never
// parsed.
func (w *Watcher) poll() {
	data, fp, err := read(w.path)
	if err != nil {
		if err.Error() != w.lastErr {
			w.logger.Error("route-file-unreadable", err, lager.Data{"serving_last_good": w.published})
			w.lastErr = err.Error()
		}
		w.seen, w.pending = fingerprint{}, fingerprint{}
		return
	}
	w.lastErr = ""
	settled := fp == w.pending
	w.pending = fp
	if fp == w.seen || !settled {
		return
	}
	w.seen = fp
	routes, err := routefile.Parse(data)
	if err != nil {
		w.logger.Error("route-file-rejected", err, lager.Data{"serving_last_good": w.published})
		return
	}
	if w.published && reflect.DeepEqual(routes, w.last) {
		w.logger.Debug("routes-unchanged", lager.Data{"routes": len(routes.Routes)})
		return
	}
	w.logger.Info("routes-published", lager.Data{"routes": len(routes.Routes), "first": !w.published})
	w.publish(routes)
	w.last, w.published = routes, true
}

// read returns the file's content and fingerprint.
func read(path string) ([]byte, fingerprint, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fingerprint{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fingerprint{}, err
	}
	return data, fingerprint{modTime: info.ModTime(), size: info.Size(), sum: sha256.Sum256(data)}, nil
}
