package localfoundation

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
)

// startEmitter registers every instance for every route its app is mapped
// to, the way route-emitter does on a Diego cell, and keeps re-emitting at
// the interval the copilot's greet reply asks for.
func (f *foundation) startEmitter(ctx context.Context) error {
	logFile, err := os.Create(filepath.Join(f.opts.WorkDir, "route-emitter.log"))
	if err != nil {
		return err
	}
	logger, err := lifecycle.NewLogger("route-emitter", "info", logFile)
	if err != nil {
		return err
	}
	emitter := routeemitter.New(f.natsURL, logger, routeemitter.Options{})
	for _, in := range f.instances {
		for _, uri := range f.urisOf(in.app) {
			emitter.Register(routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{
				CellIP:       "127.0.0.1",
				HostPort:     in.backend.Port(),
				AppGUID:      in.app,
				AppName:      "app-" + shortGUID(in.app),
				ProcessGUID:  in.process,
				ProcessType:  "web",
				InstanceGUID: fmt.Sprintf("%s-instance-%d", shortGUID(in.app), in.index),
				Index:        in.index,
			}, uri))
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer logFile.Close()
		if err := emitter.Run(ctx); err != nil {
			fmt.Fprintf(f.out, "route-emitter stopped: %v\n", err)
		}
	}()
	f.stopEmit = func() { cancel(); <-done }
	return nil
}

// urisOf lists the route URIs an app is mapped to in the route file.
func (f *foundation) urisOf(app string) []string {
	var uris []string
	for _, r := range f.routes.Routes {
		for _, d := range r.Destinations {
			if d.AppGUID == app {
				uris = append(uris, r.URI())
				break
			}
		}
	}
	return uris
}
