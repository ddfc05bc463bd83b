package xdsserver

import (
	"context"
	"sync"

	"code.cloudfoundry.org/lager/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// gate holds every watch until ready is closed, then hands it to the inner
// cache. Proxies can connect to a pilot that has not synced yet and simply
// receive nothing: an empty cache would otherwise answer initial requests
// with empty resources and wipe their configuration.
type gate struct {
	inner  cachev3.Cache
	ready  <-chan struct{}
	logger lager.Logger
}

var _ cachev3.Cache = (*gate)(nil)

func (g *gate) isReady() bool {
	select {
	case <-g.ready:
		return true
	default:
		return false
	}
}

func (g *gate) CreateWatch(r *cachev3.Request, sub cachev3.Subscription, out chan cachev3.Response) (func(), error) {
	if g.isReady() {
		return g.inner.CreateWatch(r, sub, out)
	}
	return g.defer_(func() (func(), error) { return g.inner.CreateWatch(r, sub, out) }), nil
}

func (g *gate) CreateDeltaWatch(r *cachev3.DeltaRequest, sub cachev3.Subscription, out chan cachev3.DeltaResponse) (func(), error) {
	if g.isReady() {
		return g.inner.CreateDeltaWatch(r, sub, out)
	}
	return g.defer_(func() (func(), error) { return g.inner.CreateDeltaWatch(r, sub, out) }), nil
}

func (g *gate) Fetch(ctx context.Context, r *cachev3.Request) (cachev3.Response, error) {
	select {
	case <-g.ready:
		return g.inner.Fetch(ctx, r)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// defer_ creates the watch once the gate opens, unless the stream cancels it
// first; the returned function cancels either way.
func (g *gate) defer_(create func() (func(), error)) func() {
	var (
		mu        sync.Mutex
		cancelled bool
		cancel    func()
	)
	abandon := make(chan struct{})
	go func() {
		select {
		case <-g.ready:
		case <-abandon:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if cancelled {
			return
		}
		c, err := create()
		if err != nil {
			g.logger.Error("deferred-watch-failed", err)
			return
		}
		cancel = c
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			cancelled = true
			close(abandon)
			if cancel != nil {
				cancel()
			}
		})
	}
}
