package xdsserver

import (
	"context"
	"errors"

	"code.cloudfoundry.org/lager/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// request is what the callbacks need of a SotW or Delta request.
type request struct {
	stream             streamKey
	node               *corev3.Node
	typeURL, nonce     string
	version, errDetail string
	names              []string
}

func (s *Server) callbacks() serverv3.Callbacks {
	return serverv3.CallbackFuncs{
		StreamOpenFunc: func(ctx context.Context, id int64, _ string) error {
			return s.onOpen(ctx, streamKey{id: id})
		},
		DeltaStreamOpenFunc: func(ctx context.Context, id int64, _ string) error {
			return s.onOpen(ctx, streamKey{id: id, delta: true})
		},
		StreamRequestFunc: func(id int64, r *discoveryv3.DiscoveryRequest) error {
			key := streamKey{id: id}
			if err := s.onRequest(request{key, r.GetNode(), r.GetTypeUrl(), r.GetResponseNonce(), r.GetVersionInfo(), r.GetErrorDetail().GetMessage(), r.GetResourceNames()}); err != nil {
				return err
			}
			r.ResourceNames = s.sotwNames(key, r.GetTypeUrl(), r.GetResourceNames())
			return nil
		},
		StreamDeltaRequestFunc: func(id int64, r *discoveryv3.DeltaDiscoveryRequest) error {
			key := streamKey{id: id, delta: true}
			if err := s.onRequest(request{key, r.GetNode(), r.GetTypeUrl(), r.GetResponseNonce(), r.GetResponseNonce(), r.GetErrorDetail().GetMessage(), r.GetResourceNamesSubscribe()}); err != nil {
				return err
			}
			s.shareNames(key, r.GetTypeUrl(), r.GetResourceNamesSubscribe()) // Delta names each resource once
			return nil
		},
		StreamClosedFunc:      func(id int64, node *corev3.Node) { s.onClosed(streamKey{id: id}, node) },
		DeltaStreamClosedFunc: func(id int64, node *corev3.Node) { s.onClosed(streamKey{id: id, delta: true}, node) },
		StreamResponseFunc: func(_ context.Context, id int64, _ *discoveryv3.DiscoveryRequest, r *discoveryv3.DiscoveryResponse) {
			s.metrics.pushes.WithLabelValues(r.GetTypeUrl()).Inc()
			s.proxies.sent(streamKey{id: id}, r.GetTypeUrl(), r.GetVersionInfo(), r.GetNonce(), len(r.GetResources()))
		},
		StreamDeltaResponseFunc: func(id int64, _ *discoveryv3.DeltaDiscoveryRequest, r *discoveryv3.DeltaDiscoveryResponse) {
			s.metrics.pushes.WithLabelValues(r.GetTypeUrl()).Inc()
			s.proxies.sent(streamKey{id: id, delta: true}, r.GetTypeUrl(), r.GetNonce(), r.GetNonce(), len(r.GetResources()))
		},
	}
}

func (s *Server) onOpen(ctx context.Context, key streamKey) error {
	if err := s.streams.opened(ctx, key); err != nil {
		s.metrics.rejected.WithLabelValues("too-many-streams").Inc()
		s.logger.Info("stream-refused", lager.Data{"peer": peerAddress(ctx).String(), "reason": err.Error()})
		return err
	}
	return nil
}

// onRequest admits a stream on its first request and records ACKs and
// NACKs. A proxyless gRPC server's listener requests build its listener.
func (s *Server) onRequest(r request) error {
	if !s.proxies.known(r.stream) {
		if err := s.admit(r); err != nil {
			return err
		}
	}
	if r.typeURL == resourcev3.ListenerType && len(r.names) > 0 {
		if err := s.requestServerListeners(r); err != nil {
			return err
		}
	}
	if converged, ok := s.proxies.answered(r.stream, r.typeURL, r.nonce, r.errDetail); ok {
		s.metrics.convergence.WithLabelValues(r.typeURL).Observe(converged.Seconds())
	}
	if r.errDetail != "" {
		s.metrics.nacks.WithLabelValues(r.typeURL).Inc()
		// version is the last version the proxy accepted (SotW) or the
		// rejected response's nonce (Delta).
		s.logger.Info("xds-nack", lager.Data{"stream": r.stream.id, "node": r.node.GetId(), "type": r.typeURL, "version": r.version, "error": r.errDetail})
	}
	return nil
}

// admit classifies a new stream's proxy, checks it may connect where it
// did, and gives a container sidecar its own caches.
func (s *Server) admit(r request) error {
	class, err := xdsresources.ClassOf(r.node)
	if err != nil {
		return s.reject(r, "unclassified", status.Error(codes.InvalidArgument, "cf-mesh pilot rejects this proxy: "+err.Error()))
	}
	st, ok := s.streams.get(r.stream)
	if !ok {
		return s.reject(r, "closed", status.Error(codes.Canceled, "cf-mesh pilot: stream closed"))
	}
	node, _ := xdsresources.ParseNodeID(r.node.GetId())
	if err := admit(st, class, node); err != nil {
		return s.reject(r, "address-mismatch", err)
	}
	var app string
	if class == xdsresources.ClassSidecar {
		if err := s.joinSidecar(st, r, node); err != nil {
			return err
		}
		own, _ := s.nodes.ownResources(r.node.GetId())
		app = own.AppGUID
		nodes, _ := s.nodes.count()
		s.metrics.sidecars.Set(float64(nodes))
	}
	s.proxies.add(r.stream, r.node.GetId(), class, app, r.stream.delta)
	s.metrics.connected.WithLabelValues(string(class)).Inc()
	s.logger.Info("proxy-connected", lager.Data{"stream": r.stream.id, "node": r.node.GetId(), "class": class, "app": app, "delta": r.stream.delta})
	return nil
}

// joinSidecar waits until the pilot serves a mesh config (a sidecar is
// identified from it), then builds the sidecar's caches or refuses an
// instance the mesh config does not know.
func (s *Server) joinSidecar(st stream, r request, node xdsresources.Node) error {
	select {
	case <-s.ready:
	case <-st.ctx.Done():
		return status.Error(codes.Canceled, "cf-mesh pilot: stream closed")
	}
	s.mu.Lock()
	current := s.current
	s.mu.Unlock()
	if err := s.nodes.join(r.node.GetId(), node, current); err != nil {
		code := codes.Internal
		if errors.Is(err, xdsresources.ErrUnknownWorkload) {
			code = codes.PermissionDenied
		}
		return s.reject(r, "unknown-workload", status.Error(code, "cf-mesh pilot: "+err.Error()))
	}
	return nil
}

// requestServerListeners builds the proxyless gRPC server listeners a mesh
// client asks for, once the pilot serves a mesh config.
func (s *Server) requestServerListeners(r request) error {
	class, _ := xdsresources.ClassOf(r.node)
	if class != xdsresources.ClassMesh {
		return nil
	}
	st, _ := s.streams.get(r.stream)
	select {
	case <-s.ready:
	case <-st.ctx.Done():
		return status.Error(codes.Canceled, "cf-mesh pilot: stream closed")
	}
	node, _ := xdsresources.ParseNodeID(r.node.GetId())
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, err := range s.servers.request(r.node.GetId(), node, r.names, s.current) {
		s.logger.Info("server-listener-pending", lager.Data{"node": r.node.GetId(), "reason": err.Error()})
	}
	return nil
}

func (s *Server) reject(r request, reason string, err error) error {
	s.logger.Info("proxy-rejected", lager.Data{"stream": r.stream.id, "node": r.node.GetId(), "reason": err.Error()})
	s.metrics.rejected.WithLabelValues(reason).Inc()
	return err
}

func (s *Server) onClosed(key streamKey, node *corev3.Node) {
	s.streams.closed(key)
	s.names.forget(key)
	class, known := s.proxies.remove(key)
	if !known {
		return
	}
	switch class {
	case xdsresources.ClassSidecar:
		s.nodes.leave(node.GetId())
		nodes, _ := s.nodes.count()
		s.metrics.sidecars.Set(float64(nodes))
	case xdsresources.ClassMesh:
		if !s.proxies.nodeConnected(node.GetId()) {
			if err := s.servers.leave(node.GetId()); err != nil {
				s.logger.Error("server-listener-removal-failed", err)
			}
		}
	}
	s.metrics.connected.WithLabelValues(string(class)).Dec()
	s.logger.Info("proxy-disconnected", lager.Data{"stream": key.id, "node": node.GetId(), "class": class})
}

// Proxies reports every connected proxy's sync status.
func (s *Server) Proxies() []ProxyStatus {
	return s.proxies.list()
}
