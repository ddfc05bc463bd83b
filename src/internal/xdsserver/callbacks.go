package xdsserver

import (
	"context"
	"fmt"
	"sync"

	"code.cloudfoundry.org/lager/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// streams tracks the class of every open stream for the connected-proxies
// gauge.
type streams struct {
	mu      sync.Mutex
	classes map[int64]xdsresources.Class
}

func (s *Server) callbacks() serverv3.Callbacks {
	open := &streams{classes: map[int64]xdsresources.Class{}}
	onRequest := func(id int64, node *corev3.Node, typeURL, version, errorDetail string) error {
		return s.onRequest(open, id, node, typeURL, version, errorDetail)
	}
	onClosed := func(id int64, node *corev3.Node) { s.onClosed(open, id, node) }
	return serverv3.CallbackFuncs{
		StreamRequestFunc: func(id int64, r *discoveryv3.DiscoveryRequest) error {
			return onRequest(id, r.GetNode(), r.GetTypeUrl(), r.GetVersionInfo(), r.GetErrorDetail().GetMessage())
		},
		StreamDeltaRequestFunc: func(id int64, r *discoveryv3.DeltaDiscoveryRequest) error {
			return onRequest(id, r.GetNode(), r.GetTypeUrl(), r.GetResponseNonce(), r.GetErrorDetail().GetMessage())
		},
		StreamClosedFunc:      onClosed,
		DeltaStreamClosedFunc: onClosed,
		StreamResponseFunc: func(_ context.Context, _ int64, _ *discoveryv3.DiscoveryRequest, r *discoveryv3.DiscoveryResponse) {
			s.metrics.pushes.WithLabelValues(r.GetTypeUrl()).Inc()
		},
		StreamDeltaResponseFunc: func(_ int64, _ *discoveryv3.DeltaDiscoveryRequest, r *discoveryv3.DeltaDiscoveryResponse) {
			s.metrics.pushes.WithLabelValues(r.GetTypeUrl()).Inc()
		},
	}
}

// onRequest admits a stream on its first request, rejecting proxies the
// pilot cannot classify, and reports NACKs.
func (s *Server) onRequest(open *streams, id int64, node *corev3.Node, typeURL, version, errorDetail string) error {
	open.mu.Lock()
	_, known := open.classes[id]
	open.mu.Unlock()
	if !known {
		class, err := xdsresources.ClassOf(node)
		if err != nil {
			s.logger.Info("proxy-rejected", lager.Data{"stream": id, "node": node.GetId(), "reason": err.Error()})
			s.metrics.rejected.Inc()
			return fmt.Errorf("cf-mesh pilot rejects this proxy: %w", err)
		}
		open.mu.Lock()
		open.classes[id] = class
		open.mu.Unlock()
		s.metrics.connected.WithLabelValues(string(class)).Inc()
		s.logger.Info("proxy-connected", lager.Data{"stream": id, "node": node.GetId(), "class": class})
	}
	if errorDetail != "" {
		s.metrics.nacks.WithLabelValues(typeURL).Inc()
		// version is the last version the proxy accepted (SotW) or the
		// rejected response's nonce (Delta).
		s.logger.Info("xds-nack", lager.Data{"stream": id, "node": node.GetId(), "type": typeURL, "version": version, "error": errorDetail})
	}
	return nil
}

func (s *Server) onClosed(open *streams, id int64, node *corev3.Node) {
	open.mu.Lock()
	class, known := open.classes[id]
	delete(open.classes, id)
	open.mu.Unlock()
	if known {
		s.metrics.connected.WithLabelValues(string(class)).Dec()
		s.logger.Info("proxy-disconnected", lager.Data{"stream": id, "node": node.GetId(), "class": class})
	}
}
