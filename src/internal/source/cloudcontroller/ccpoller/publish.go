package ccpoller

import (
	"errors"
	"reflect"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// translateAndPublish translates the view and publishes the result when it
// differs from what was last published.
func (l *loop) translateAndPublish(trigger string) {
	routes, rejects := l.view.Translate()
	l.p.metrics.routes.Set(float64(len(routes.Routes)))
	l.p.metrics.rejected.Set(float64(len(rejects)))
	l.logRejections(rejects)
	if l.published && reflect.DeepEqual(l.last, routes) {
		return
	}
	l.logger.Info("routes-published", lager.Data{"routes": len(routes.Routes), "first": !l.published, "trigger": trigger})
	l.p.publish(routes)
	l.last = routes
	l.published = true
}

// logRejections logs a dropped route when it is first dropped (or dropped
// for a new reason) and when it stops being dropped, so a bad route logs
// once rather than on every translation.
func (l *loop) logRejections(rejects []error) {
	current := make(map[string]string, len(rejects))
	for _, err := range rejects {
		var routeErr *cloudcontroller.RouteError
		if !errors.As(err, &routeErr) {
			l.logger.Error("route-rejected", err)
			continue
		}
		current[routeErr.RouteGUID] = routeErr.Reason
		if l.rejected[routeErr.RouteGUID] != routeErr.Reason {
			l.logger.Error("route-rejected", err, lager.Data{"route_guid": routeErr.RouteGUID, "reason": routeErr.Reason})
		}
	}
	for guid := range l.rejected {
		if _, still := current[guid]; !still {
			l.logger.Info("route-no-longer-rejected", lager.Data{"route_guid": guid})
		}
	}
	l.rejected = current
}
