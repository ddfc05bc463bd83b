package natssubscriber

import (
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/nats-io/nats.go"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// maxLoggedPayload bounds how much of a rejected payload is logged.
const maxLoggedPayload = 512

// handleMessage runs on the goroutine of the subscription the message came
// on (`router.*` or `service-discovery.*`), so each subject family is
// applied in the order NATS delivered it, as in gorouter and the
// service-discovery-controller. Other subjects (router.start and
// service-discovery.start from other subscribers, including our own) are
// ignored.
func (s *Subscriber) handleMessage(msg *nats.Msg) {
	switch msg.Subject {
	case routeregistry.SubjectRegister, routeregistry.SubjectUnregister:
		s.handleRegistration(msg)
	case routeregistry.SubjectServiceDiscoveryRegister, routeregistry.SubjectServiceDiscoveryUnregister:
		s.handleInternalRegistration(msg)
	case routeregistry.SubjectGreet:
		s.handleGreet(msg, s.routerStart)
	case routeregistry.SubjectServiceDiscoveryGreet:
		s.handleGreet(msg, s.serviceDiscoveryStart)
	}
}

func (s *Subscriber) handleRegistration(msg *nats.Msg) {
	reg, err := s.routerDecoder.DecodeRegistration(msg.Data)
	if err != nil {
		s.reject(msg, err)
		return
	}
	s.metrics.accepted[msg.Subject].Inc()
	register := msg.Subject == routeregistry.SubjectRegister
	changed := s.apply(func(table *routeregistry.Table) bool {
		if register {
			return table.Register(reg, time.Now())
		}
		return table.Unregister(reg)
	})
	if !changed {
		return
	}
	s.logger.Info(action(register, "endpoint-registered", "endpoint-unregistered"), lager.Data{
		"uris": reg.URIs, "host": reg.Host, "port": reg.Port, "tls_port": reg.TLSPort,
		"app": reg.App, "instance_id": reg.PrivateInstanceID,
	})
	s.onChange()
}

func (s *Subscriber) handleInternalRegistration(msg *nats.Msg) {
	reg, err := s.serviceDiscoveryDecoder.DecodeInternalRegistration(msg.Data)
	if err != nil {
		s.reject(msg, err)
		return
	}
	s.metrics.accepted[msg.Subject].Inc()
	register := msg.Subject == routeregistry.SubjectServiceDiscoveryRegister
	changed := s.apply(func(table *routeregistry.Table) bool {
		if register {
			return table.RegisterInternal(reg, time.Now())
		}
		return table.UnregisterInternal(reg)
	})
	if !changed {
		return
	}
	s.logger.Info(action(register, "internal-endpoint-registered", "internal-endpoint-unregistered"), lager.Data{
		"uris": reg.URIs, "host": reg.Host, "app": reg.App, "instance_index": reg.PrivateInstanceIndex,
	})
	s.onChange()
}

// apply changes the table under the lock and reports whether it changed;
// a change also restarts the initial sync's quiet period.
func (s *Subscriber) apply(change func(*routeregistry.Table) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !change(&s.table) {
		return false
	}
	s.lastChange = time.Now()
	s.snapshot, s.routing = nil, nil
	s.changes++
	s.metrics.endpoints.Set(float64(s.table.Len()))
	return true
}

// reject counts and logs a message that did not decode: one line with the
// reason, the error (which names the offending field) and the start of the
// payload.
func (s *Subscriber) reject(msg *nats.Msg, err error) {
	reason := routeregistry.RejectReason(err)
	s.metrics.reject(msg.Subject, reason)
	s.logger.Error("registration-rejected", err, lager.Data{
		"subject":       msg.Subject,
		"reason":        reason,
		"payload_bytes": len(msg.Data),
		"payload":       truncate(string(msg.Data[:min(len(msg.Data), maxLoggedPayload+1)]), maxLoggedPayload),
	})
}

// handleGreet answers a route-emitter's greet with our start message and
// records when, for the initial sync (initialSyncEnd).
func (s *Subscriber) handleGreet(msg *nats.Msg, reply []byte) {
	if msg.Reply == "" {
		s.metrics.reject(msg.Subject, "no_reply_subject")
		s.logger.Info("greet-rejected", lager.Data{"subject": msg.Subject, "reason": "no reply subject"})
		return
	}
	s.metrics.accepted[msg.Subject].Inc()
	if err := msg.Respond(reply); err != nil {
		s.logger.Error("greet-reply-failed", err, lager.Data{"subject": msg.Subject, "reply": msg.Reply})
		return
	}
	s.markGreet(time.Now())
	s.logger.Debug("greet-answered", lager.Data{"subject": msg.Subject, "reply": msg.Reply})
}

func action(register bool, registered, unregistered string) string {
	if register {
		return registered
	}
	return unregistered
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "...(truncated)"
}
