package natssubscriber

import (
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/nats-io/nats.go"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// maxLoggedPayload bounds how much of a rejected payload is logged.
const maxLoggedPayload = 512

// handleMessage runs on the `router.*` subscription's goroutine, so
// registrations and unregistrations are applied in the order NATS
// delivered them, as in gorouter. Other router.* subjects (router.start
// from routers, including our own) are ignored.
func (s *Subscriber) handleMessage(msg *nats.Msg) {
	switch msg.Subject {
	case routeregistry.SubjectRegister, routeregistry.SubjectUnregister:
		s.handleRegistration(msg)
	case routeregistry.SubjectGreet:
		s.handleGreet(msg)
	}
}

func (s *Subscriber) handleRegistration(msg *nats.Msg) {
	reg, err := routeregistry.DecodeRegistration(msg.Data)
	if err != nil {
		s.metrics.messages.WithLabelValues(msg.Subject, resultRejected).Inc()
		// The error is the reason; it names the offending field.
		s.logger.Error("registration-rejected", err, lager.Data{
			"subject": msg.Subject,
			"payload": truncate(string(msg.Data), maxLoggedPayload),
		})
		return
	}
	s.metrics.messages.WithLabelValues(msg.Subject, resultAccepted).Inc()

	register := msg.Subject == routeregistry.SubjectRegister
	s.mu.Lock()
	var changed bool
	if register {
		changed = s.table.Register(reg, time.Now())
	} else {
		changed = s.table.Unregister(reg)
	}
	if changed {
		s.snapshot = nil
		s.metrics.endpoints.Set(float64(s.table.Len()))
	}
	s.mu.Unlock()
	if !changed {
		return
	}

	action := "endpoint-unregistered"
	if register {
		action = "endpoint-registered"
	}
	s.logger.Info(action, lager.Data{
		"uris": reg.URIs, "host": reg.Host, "port": reg.Port, "tls_port": reg.TLSPort,
		"app": reg.App, "instance_id": reg.PrivateInstanceID,
	})
	s.onChange()
}

func (s *Subscriber) handleGreet(msg *nats.Msg) {
	if msg.Reply == "" {
		s.metrics.messages.WithLabelValues(msg.Subject, resultRejected).Inc()
		s.logger.Info("greet-rejected", lager.Data{"reason": "no reply subject"})
		return
	}
	s.metrics.messages.WithLabelValues(msg.Subject, resultAccepted).Inc()
	if err := msg.Respond(s.routerStart); err != nil {
		s.logger.Error("greet-reply-failed", err, lager.Data{"reply": msg.Reply})
		return
	}
	s.logger.Debug("greet-answered", lager.Data{"reply": msg.Reply})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "...(truncated)"
}
