package xdsserver

import (
	"context"
	"fmt"

	"code.cloudfoundry.org/lager/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// request is what the callbacks need of a SotW or Delta request.
type request struct {
	stream             int64
	node               *corev3.Node
	typeURL, nonce     string
	version, errDetail string
	delta              bool
}

func (s *Server) callbacks() serverv3.Callbacks {
	return serverv3.CallbackFuncs{
		StreamRequestFunc: func(id int64, r *discoveryv3.DiscoveryRequest) error {
			return s.onRequest(request{id, r.GetNode(), r.GetTypeUrl(), r.GetResponseNonce(), r.GetVersionInfo(), r.GetErrorDetail().GetMessage(), false})
		},
		StreamDeltaRequestFunc: func(id int64, r *discoveryv3.DeltaDiscoveryRequest) error {
			return s.onRequest(request{id, r.GetNode(), r.GetTypeUrl(), r.GetResponseNonce(), r.GetResponseNonce(), r.GetErrorDetail().GetMessage(), true})
		},
		StreamClosedFunc:      s.onClosed,
		DeltaStreamClosedFunc: s.onClosed,
		StreamResponseFunc: func(_ context.Context, id int64, _ *discoveryv3.DiscoveryRequest, r *discoveryv3.DiscoveryResponse) {
			s.metrics.pushes.WithLabelValues(r.GetTypeUrl()).Inc()
			s.proxies.sent(id, r.GetTypeUrl(), r.GetVersionInfo(), r.GetNonce(), len(r.GetResources()))
		},
		StreamDeltaResponseFunc: func(id int64, _ *discoveryv3.DeltaDiscoveryRequest, r *discoveryv3.DeltaDiscoveryResponse) {
			s.metrics.pushes.WithLabelValues(r.GetTypeUrl()).Inc()
			s.proxies.sent(id, r.GetTypeUrl(), r.GetNonce(), r.GetNonce(), len(r.GetResources()))
		},
	}
}

// onRequest admits a stream on its first request, rejecting proxies the
// pilot cannot classify, and records ACKs and NACKs.
func (s *Server) onRequest(r request) error {
	if !s.proxies.known(r.stream) {
		class, err := xdsresources.ClassOf(r.node)
		if err != nil {
			s.logger.Info("proxy-rejected", lager.Data{"stream": r.stream, "node": r.node.GetId(), "reason": err.Error()})
			s.metrics.rejected.Inc()
			return fmt.Errorf("cf-mesh pilot rejects this proxy: %w", err)
		}
		s.proxies.add(r.stream, r.node.GetId(), class, r.delta)
		s.metrics.connected.WithLabelValues(string(class)).Inc()
		s.logger.Info("proxy-connected", lager.Data{"stream": r.stream, "node": r.node.GetId(), "class": class, "delta": r.delta})
	}
	s.proxies.answered(r.stream, r.typeURL, r.nonce, r.errDetail)
	if r.errDetail != "" {
		s.metrics.nacks.WithLabelValues(r.typeURL).Inc()
		// version is the last version the proxy accepted (SotW) or the
		// rejected response's nonce (Delta).
		s.logger.Info("xds-nack", lager.Data{"stream": r.stream, "node": r.node.GetId(), "type": r.typeURL, "version": r.version, "error": r.errDetail})
	}
	return nil
}

func (s *Server) onClosed(id int64, node *corev3.Node) {
	if class, known := s.proxies.remove(id); known {
		s.metrics.connected.WithLabelValues(string(class)).Dec()
		s.logger.Info("proxy-disconnected", lager.Data{"stream": id, "node": node.GetId(), "class": class})
	}
}

// Proxies reports every connected proxy's sync status.
func (s *Server) Proxies() []ProxyStatus {
	return s.proxies.list()
}
