package natssubscriber

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// drainTimeout bounds how long Run waits for in-flight messages on exit.
const drainTimeout = 5 * time.Second

// Subscriber keeps the NATS endpoint table of one copilot.
type Subscriber struct {
	cfg       Config
	logger    lager.Logger
	onChange  func()
	metrics   *metrics
	tlsConfig *tls.Config
	// routerStart is the router.start message and greet reply;
	// serviceDiscoveryStart is service-discovery's.
	routerStart, serviceDiscoveryStart []byte

	// routerDecoder is only used on the router.* subscription's goroutine,
	// serviceDiscoveryDecoder only on service-discovery.*'s.
	routerDecoder, serviceDiscoveryDecoder routeregistry.Decoder

	mu       sync.Mutex
	table    routeregistry.Table
	snapshot source.Endpoints // nil when the table changed since the last Endpoints call
	routing  source.Endpoints // the same for RoutingEndpoints
	// changes counts the table's changes: a RoutingSnapshot's Version.
	changes uint64
	// lastGreet is when a greet was last answered, lastChange when the
	// table last changed by a registration: what the initial sync waits on.
	lastGreet, lastChange time.Time

	ready     chan struct{}
	readyOnce sync.Once
}

// New builds a Subscriber. cfg gets its defaults and is validated; reg may
// be nil (metrics are then not registered). onChange is called after every
// change of the table, from the goroutine that made it; it must not block,
// and the callee must coalesce (a burst of registrations calls it once per
// change). Call Endpoints to read the table.
func New(cfg Config, logger lager.Logger, reg prometheus.Registerer, onChange func()) (*Subscriber, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("nats subscriber config: %w", err)
	}
	tlsConfig, err := loadTLSConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("nats subscriber config: %w", err)
	}
	guid, err := newUUID()
	if err != nil {
		return nil, fmt.Errorf("nats subscriber: router id: %w", err)
	}
	start := routeregistry.NewRouterStart(cfg.InstanceID+"-"+guid, []string{cfg.HostIP},
		cfg.MinimumRegisterInterval.Std(), cfg.PruneThreshold.Std())
	startJSON, err := json.Marshal(start)
	if err != nil {
		return nil, fmt.Errorf("nats subscriber: encode router.start: %w", err)
	}
	sdStartJSON, err := json.Marshal(routeregistry.NewServiceDiscoveryStart(start.ID, cfg.HostIP,
		cfg.MinimumRegisterInterval.Std(), cfg.ServiceDiscoveryPruneThreshold.Std()))
	if err != nil {
		return nil, fmt.Errorf("nats subscriber: encode service-discovery.start: %w", err)
	}
	if onChange == nil {
		onChange = func() {}
	}
	return &Subscriber{
		cfg:                   cfg,
		logger:                logger.Session("nats-subscriber", lager.Data{"router-id": start.ID}),
		onChange:              onChange,
		metrics:               newMetrics(reg),
		tlsConfig:             tlsConfig,
		routerStart:           startJSON,
		serviceDiscoveryStart: sdStartJSON,
		ready:                 make(chan struct{}),
	}, nil
}

// Ready is closed once the initial sync is over: after a connect (and the
// starts), the greet window, the starts again, and then either every route-emitter has had
// time to re-emit and the table has stayed unchanged for QuietPeriod, or
// InitialSyncWait has passed since the connect (initialSyncEnd). A
// disconnect before then starts it over on reconnect. A copilot must not
// publish a world before Ready. It is never closed while NATS is
// unreachable.
func (s *Subscriber) Ready() <-chan struct{} {
	return s.ready
}

// Endpoints returns the current endpoint table, sorted. The value is shared
// between callers until the table changes: do not modify it.
func (s *Subscriber) Endpoints() source.Endpoints {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snapshot == nil {
		s.snapshot = s.table.Endpoints()
	}
	return s.snapshot
}

// RoutingSnapshot is Endpoints without tags (every Tags is nil): what the
// routing table needs, built without each instance's tag map (at 100,000
// endpoints, about 250 ms and 80 MiB under the subscriber's lock; issue
// 8). Endpoints is shared like Endpoints' value: do not modify it.
type RoutingSnapshot struct {
	Endpoints source.Endpoints
	// Version counts the table's changes up to the snapshot: one with a
	// higher Version holds every change a lower one does. The copilot
	// orders its endpoints-first publishes and its full builds by it (ADR
	// 20).
	Version uint64
	// ChangedHosts (RoutingEndpointsChanged only) are the hosts whose
	// endpoints changed since the previous RoutingEndpointsChanged call,
	// sorted; Endpoints then holds only theirs.
	ChangedHosts []string
}

// RoutingEndpoints is the routing snapshot of the whole table.
func (s *Subscriber) RoutingEndpoints() RoutingSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.routing == nil {
		s.routing = s.table.EndpointsWithoutTags()
	}
	return RoutingSnapshot{Endpoints: s.routing, Version: s.changes}
}

// RoutingEndpointsChanged is what the copilot's endpoints-first publish
// needs (ADR 20): the hosts whose endpoints changed since its previous
// call (every host changed since the start, on the first call) and, when
// there are at most maxHosts of them, their routing endpoints alone,
// found without a snapshot of the whole table (Endpoints is nil past
// maxHosts).
func (s *Subscriber) RoutingEndpointsChanged(maxHosts int) RoutingSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snapshot := RoutingSnapshot{Version: s.changes, ChangedHosts: s.table.TakeChangedHosts()}
	if len(snapshot.ChangedHosts) <= maxHosts {
		snapshot.Endpoints = s.table.RoutingEndpointsOfHosts(snapshot.ChangedHosts)
	}
	return snapshot
}

// connEvent is a NATS connection state change, passed from nats.go's
// callback goroutine to Run's loop.
type connEvent int

const (
	eventConnected connEvent = iota
	eventReconnected
	eventDisconnected
)

// Run connects to NATS, subscribes to `router.*` and `service-discovery.*`
// and keeps the table until
// ctx is done; it then drains the connection and returns nil. It retries
// connecting forever. Call it once.
func (s *Subscriber) Run(ctx context.Context) error {
	events := make(chan connEvent)
	closed := make(chan struct{})
	// done tells nats.go's callbacks that the loop no longer listens.
	done := make(chan struct{})

	nc, err := nats.Connect(strings.Join(s.cfg.Servers, ","), s.natsOptions(events, closed, done)...)
	if err != nil {
		return fmt.Errorf("nats subscriber: connect: %w", err)
	}
	s.logger.Info("starting", lager.Data{"servers": redactedServers(s.cfg.Servers)})
	// Subscribe before anything can publish router.start, so registrations
	// route-emitter sends in response are not missed. Each subscription has
	// its own goroutine in nats.go.
	for _, subject := range []string{routeregistry.SubjectWildcard, routeregistry.SubjectServiceDiscoveryWildcard} {
		if _, err := nc.Subscribe(subject, s.handleMessage); err != nil {
			close(done)
			nc.Close()
			return fmt.Errorf("nats subscriber: subscribe %s: %w", subject, err)
		}
	}
	s.metrics.connected.Set(0)
	s.metrics.pruningSuspended.Set(1)
	err = s.loop(ctx, nc, events, closed)
	close(done)
	s.shutdown(nc, closed)
	return err
}

func (s *Subscriber) loop(ctx context.Context, nc *nats.Conn, events <-chan connEvent, closed <-chan struct{}) error {
	pruneTicker := time.NewTicker(s.cfg.PruneInterval.Std())
	defer pruneTicker.Stop()
	var initial initialSync
	defer initial.stop()
	connected := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-closed:
			return errors.New("nats subscriber: connection closed unexpectedly")
		case ev := <-events:
			connected = s.handleConnEvent(nc, ev, connected)
			initial.stop()
			if connected {
				initial = newInitialSync(time.Now(), s.cfg.GreetWindow.Std())
			}
		case <-initial.windowEnded():
			// Taken before publishing: a route-emitter that sees this start
			// and greets at once is answered on another goroutine, possibly
			// before the publish returns, and its greet must count as after
			// the start (it gets no start of its own).
			at := time.Now()
			s.publishStarts(nc)
			initial.published(at, s.isReady(), s.cfg.QuietPeriod.Std()/4)
		case <-initial.checks():
			s.checkInitialSync(&initial)
		case <-pruneTicker.C:
			if connected {
				s.prune()
			}
		}
	}
}

// handleConnEvent applies a connection state change and returns whether
// the subscriber is now connected. It publishes the starts; they are
// published again after the greet window (loop).
func (s *Subscriber) handleConnEvent(nc *nats.Conn, ev connEvent, wasConnected bool) bool {
	if ev == eventDisconnected {
		s.metrics.connected.Set(0)
		s.metrics.pruningSuspended.Set(1)
		if wasConnected {
			s.logger.Info("nats-disconnected")
			s.logger.Info("pruning-suspended")
		}
		return false
	}
	if ev == eventReconnected {
		s.mu.Lock()
		s.table.Touch(time.Now())
		endpoints := s.table.Len()
		s.mu.Unlock()
		s.metrics.connected.Set(1)
		s.metrics.pruningSuspended.Set(0)
		s.logger.Info("nats-reconnected", lager.Data{"server": nc.ConnectedUrlRedacted()})
		s.logger.Info("pruning-resumed", lager.Data{"endpoints-refreshed": endpoints})
	} else {
		s.metrics.connected.Set(1)
		s.metrics.pruningSuspended.Set(0)
		s.logger.Info("nats-connected", lager.Data{"server": nc.ConnectedUrlRedacted()})
	}
	// This start ends the greet loop of every route-emitter, even one whose
	// reply inbox is gone (ADR 16); the one after the greet window (loop)
	// makes every route-emitter re-emit.
	s.publishStarts(nc)
	return true
}

// publishStarts announces the copilot on router.start and
// service-discovery.start, so route-emitter re-emits external and internal
// routes (it runs one scheduler for each).
func (s *Subscriber) publishStarts(nc *nats.Conn) {
	for _, start := range []struct {
		subject, action string
		message         []byte
	}{
		{routeregistry.SubjectStart, "router-start", s.routerStart},
		{routeregistry.SubjectServiceDiscoveryStart, "service-discovery-start", s.serviceDiscoveryStart},
	} {
		if err := nc.Publish(start.subject, start.message); err != nil {
			s.logger.Error(start.action+"-failed", err)
			continue
		}
		s.logger.Info(start.action+"-published", lager.Data{"message": string(start.message)})
	}
}

// prune removes stale endpoints; Run calls it only while connected.
func (s *Subscriber) prune() {
	s.mu.Lock()
	removed := s.table.Prune(time.Now(), routeregistry.PruneThresholds{
		Router: s.cfg.PruneThreshold.Std(), ServiceDiscovery: s.cfg.ServiceDiscoveryPruneThreshold.Std(),
	})
	if len(removed) > 0 {
		s.snapshot, s.routing = nil, nil
		s.changes++
		s.metrics.endpoints.Set(float64(s.table.Len()))
		s.metrics.pruned.Add(float64(len(removed)))
	}
	s.mu.Unlock()
	if len(removed) == 0 {
		return
	}
	s.logger.Info("endpoint-pruned", lager.Data{"count": len(removed), "sample": sample(removed, 5)})
	s.onChange()
}

func sample(endpoints source.Endpoints, n int) []string {
	out := make([]string, 0, min(n, len(endpoints)))
	for _, e := range endpoints[:min(n, len(endpoints))] {
		out = append(out, fmt.Sprintf("%s %s:%d tls_port=%d internal=%t", e.URI, e.Address, e.Port, e.TLSPort, e.Internal))
	}
	return out
}

func (s *Subscriber) shutdown(nc *nats.Conn, closed <-chan struct{}) {
	s.logger.Info("draining")
	if err := nc.Drain(); err != nil {
		nc.Close()
	}
	select {
	case <-closed:
	case <-time.After(drainTimeout):
		nc.Close()
	}
	s.metrics.connected.Set(0)
	s.logger.Info("stopped")
}
