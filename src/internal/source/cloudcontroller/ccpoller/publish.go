package ccpoller

import (
	"errors"
	"reflect"
	"strings"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// translateAndPublish translates the view and publishes the result when it
// differs from what was last published.
func (l *loop) translateAndPublish(trigger string) {
	routes, rejects := l.view.Translate()
	l.p.metrics.routes.Set(float64(len(routes.Routes)))
	l.p.metrics.routePolicies.Set(float64(l.view.RoutePolicyCount()))
	l.logRejections(rejects)
	if l.published && reflect.DeepEqual(l.last, routes) {
		return
	}
	l.logger.Info("routes-published", lager.Data{"routes": len(routes.Routes), "first": !l.published, "trigger": trigger})
	l.p.publish(routes)
	l.last = routes
	l.published = true
}

// logRejections logs a dropped route or route policy when it is first
// dropped (or dropped for a new reason) and when it stops being dropped, so
// a bad one logs once rather than on every translation, and counts each
// kind in its gauge.
func (l *loop) logRejections(rejects []error) {
	current := make(map[string]string, len(rejects))
	routes, policies := 0, 0
	for _, err := range rejects {
		var routeErr *cloudcontroller.RouteError
		var policyErr *cloudcontroller.RoutePolicyError
		switch {
		case errors.As(err, &routeErr):
			routes++
			current[routeKey(routeErr.RouteGUID)] = routeErr.Reason
			if l.rejected[routeKey(routeErr.RouteGUID)] != routeErr.Reason {
				l.logger.Error("route-rejected", err, lager.Data{"route_guid": routeErr.RouteGUID, "reason": routeErr.Reason})
			}
		case errors.As(err, &policyErr):
			policies++
			current[policyKey(policyErr.PolicyGUID)] = policyErr.Reason
			if l.rejected[policyKey(policyErr.PolicyGUID)] != policyErr.Reason {
				l.logger.Error("route-policy-rejected", err, lager.Data{"route_policy_guid": policyErr.PolicyGUID,
					"route_guid": policyErr.RouteGUID, "reason": policyErr.Reason})
			}
		default:
			l.logger.Error("route-rejected", err)
		}
	}
	for key := range l.rejected {
		if _, still := current[key]; still {
			continue
		}
		if guid, ok := strings.CutPrefix(key, policyKey("")); ok {
			l.logger.Info("route-policy-no-longer-rejected", lager.Data{"route_policy_guid": guid})
		} else {
			l.logger.Info("route-no-longer-rejected", lager.Data{"route_guid": strings.TrimPrefix(key, routeKey(""))})
		}
	}
	l.rejected = current
	l.p.metrics.rejected.Set(float64(routes))
	l.p.metrics.rejectedPolicies.Set(float64(policies))
}

// routeKey and policyKey keep route and route policy GUIDs apart in the
// rejection log.
func routeKey(guid string) string  { return "route/" + guid }
func policyKey(guid string) string { return "route_policy/" + guid }
