package routeemitter

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/nats-io/nats.go"
)

// Options tune the simulator; zero values take route-emitter's defaults.
type Options struct {
	// JitterFactor scales the random pause before re-emitting after a
	// start message: up to JitterFactor × the interval (default 0.2).
	JitterFactor float64
	// GreetRetryInterval is how often a greet is repeated until someone
	// answers (default 1s, route-emitter's fixed value).
	GreetRetryInterval time.Duration
	// ReconnectWait is the pause between NATS reconnect attempts
	// (default 1s).
	ReconnectWait time.Duration
	// EmitInternalRoutes publishes internal routes on
	// `service-discovery.*`, as route-emitter does with
	// `internal_routes.enabled` (default false, as there). Without it,
	// RegisterInternal and UnregisterInternal publish nothing.
	EmitInternalRoutes bool
}

func (o Options) withDefaults() Options {
	if o.JitterFactor <= 0 {
		o.JitterFactor = 0.2
	}
	if o.GreetRetryInterval <= 0 {
		o.GreetRetryInterval = time.Second
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = time.Second
	}
	return o
}

// Emitter simulates one route-emitter towards the routers and the
// service-discovery subscribers on NATS.
type Emitter struct {
	natsURL string
	logger  lager.Logger
	opts    Options

	// external is the `router` side, internal the `service-discovery`
	// side: route-emitter greets, schedules and emits them independently.
	external, internal *service

	mu   sync.Mutex
	conn *nats.Conn // set while Run is connected or reconnecting
}

// New returns an emitter for the NATS server at natsURL. Nothing happens
// until Run.
func New(natsURL string, logger lager.Logger, opts Options) *Emitter {
	logger = logger.Session("route-emitter")
	return &Emitter{
		natsURL:  natsURL,
		logger:   logger,
		opts:     opts.withDefaults(),
		external: newService("router", logger),
		internal: newService("service-discovery", logger),
	}
}

// Greeted is closed once a router answered router.greet or announced
// itself with router.start, i.e. once periodic re-emits are scheduled.
func (e *Emitter) Greeted() <-chan struct{} {
	return e.external.greeted
}

// InternalGreeted is Greeted for internal routes: closed once a
// service-discovery subscriber answered service-discovery.greet or
// published service-discovery.start.
func (e *Emitter) InternalGreeted() <-chan struct{} {
	return e.internal.greeted
}

// Register adds (or replaces) a registration and, when Run is connected,
// publishes router.register for it at once, as route-emitter does when an
// instance starts running. Periodic re-emits include it from then on.
func (e *Emitter) Register(msg Message) {
	e.publishIfConnected(e.external, e.external.register, e.external.set(msg))
}

// Unregister forgets a registration and, when Run is connected, publishes
// router.unregister for it at once. It is not re-emitted again. (The real
// route-emitter also repeats unregisters every 30s, 20 times; the simulator
// sends one.)
func (e *Emitter) Unregister(msg Message) {
	e.publishIfConnected(e.external, e.external.unregister, e.external.forget(msg))
}

// RegisterInternal is Register for an internal route message (see
// NewInternalRouteMessage), on service-discovery.register. It needs
// Options.EmitInternalRoutes.
func (e *Emitter) RegisterInternal(msg Message) {
	e.publishIfConnected(e.internal, e.internal.register, e.internal.set(msg))
}

// UnregisterInternal is Unregister for an internal route message, on
// service-discovery.unregister.
func (e *Emitter) UnregisterInternal(msg Message) {
	e.publishIfConnected(e.internal, e.internal.unregister, e.internal.forget(msg))
}

func (e *Emitter) publishIfConnected(svc *service, subject string, msg Message) {
	if svc == e.internal && !e.opts.EmitInternalRoutes {
		return
	}
	e.mu.Lock()
	conn := e.conn
	e.mu.Unlock()
	if conn != nil {
		publish(e.logger, conn, subject, msg)
	}
}

// Run connects to NATS and behaves like route-emitter's NATS side until ctx
// is done, then returns nil. For routers, and for service-discovery
// subscribers when Options.EmitInternalRoutes is set, independently:
//
//  1. it subscribes to `<service>.start` and a reply inbox, and emits every
//     registration it already has (route-emitter's start-up sync);
//  2. it publishes `<service>.greet` with the inbox, every
//     GreetRetryInterval, until someone replies or publishes a start
//     message; nothing is re-emitted before that;
//  3. it then re-emits every registration every
//     minimumRegisterIntervalInSeconds of that message (the first after one
//     interval); a later start message sets a new interval and, after a
//     random jitter, re-emits at once and restarts the interval.
func (e *Emitter) Run(ctx context.Context) error {
	nc, err := nats.Connect(e.natsURL,
		nats.Name("cf-mesh-route-emitter-simulator"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(e.opts.ReconnectWait),
	)
	if err != nil {
		return fmt.Errorf("route-emitter simulator: connect: %w", err)
	}
	defer e.close(nc)

	services := []*service{e.external}
	if e.opts.EmitInternalRoutes {
		services = append(services, e.internal)
	}
	for _, svc := range services {
		if err := svc.listen(ctx, nc); err != nil {
			return err
		}
	}
	e.mu.Lock()
	e.conn = nc
	e.mu.Unlock()

	var wg sync.WaitGroup
	for _, svc := range services {
		svc.emitAll(nc)
		wg.Go(func() { svc.schedule(ctx, nc, e.opts) })
	}
	wg.Wait()
	return nil
}

func (e *Emitter) close(nc *nats.Conn) {
	e.mu.Lock()
	e.conn = nil
	e.mu.Unlock()
	_ = nc.FlushTimeout(time.Second)
	nc.Close()
}

// service is one side of route-emitter: the registrations it emits and the
// greet-and-re-emit schedule it keeps with the subscribers of `<name>.*`.
type service struct {
	name                               string
	register, unregister, greet, start string
	logger                             lager.Logger

	mu            sync.Mutex
	registrations map[string]Message

	inbox     string
	intervals chan time.Duration
	greeted   chan struct{}
	greetOnce sync.Once
}

func newService(name string, logger lager.Logger) *service {
	return &service{
		name: name, register: name + ".register", unregister: name + ".unregister",
		greet: name + ".greet", start: name + ".start",
		logger:        logger.Session(name),
		registrations: map[string]Message{},
		intervals:     make(chan time.Duration, 16),
		greeted:       make(chan struct{}),
	}
}

func (s *service) set(msg Message) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.registrations[msg.key()] = msg
	return msg
}

func (s *service) forget(msg Message) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.registrations, msg.key())
	return msg
}

// listen subscribes to start messages and to the greet reply inbox.
func (s *service) listen(ctx context.Context, nc *nats.Conn) error {
	handle := func(msg *nats.Msg) {
		var greeting struct {
			MinimumRegisterInterval int `json:"minimumRegisterIntervalInSeconds"`
		}
		if err := json.Unmarshal(msg.Data, &greeting); err != nil || greeting.MinimumRegisterInterval <= 0 {
			s.logger.Info("received-invalid-start", lager.Data{"subject": msg.Subject, "payload": string(msg.Data)})
			return
		}
		select {
		case s.intervals <- time.Duration(greeting.MinimumRegisterInterval) * time.Second:
		case <-ctx.Done():
		}
	}
	if _, err := nc.Subscribe(s.start, handle); err != nil {
		return fmt.Errorf("route-emitter simulator: subscribe %s: %w", s.start, err)
	}
	s.inbox = nats.NewInbox()
	sub, err := nc.Subscribe(s.inbox, handle)
	if err != nil {
		return fmt.Errorf("route-emitter simulator: subscribe %s: %w", s.inbox, err)
	}
	return sub.AutoUnsubscribe(1)
}

// schedule greets until answered, then re-emits periodically.
func (s *service) schedule(ctx context.Context, nc *nats.Conn, opts Options) {
	interval, ok := s.greetUntilAnswered(ctx, nc, opts.GreetRetryInterval)
	if !ok {
		return
	}
	s.greetOnce.Do(func() { close(s.greeted) })
	s.logger.Info("received-interval", lager.Data{"interval": interval.String()})
	s.emitPeriodically(ctx, nc, interval, opts.JitterFactor)
}

func (s *service) greetUntilAnswered(ctx context.Context, nc *nats.Conn, retryInterval time.Duration) (time.Duration, bool) {
	retry := time.NewTicker(retryInterval)
	defer retry.Stop()
	for {
		s.logger.Info("greeting")
		if err := nc.PublishRequest(s.greet, s.inbox, []byte{}); err != nil {
			s.logger.Error("failed-to-greet", err)
		}
		select {
		case interval := <-s.intervals:
			return interval, true
		case <-retry.C:
		case <-ctx.Done():
			return 0, false
		}
	}
}

func (s *service) emitPeriodically(ctx context.Context, nc *nats.Conn, interval time.Duration, jitterFactor float64) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case interval = <-s.intervals:
			s.logger.Info("received-new-interval", lager.Data{"interval": interval.String()})
			if !sleep(ctx, rand.N(time.Duration(jitterFactor*float64(interval))+1)) {
				return
			}
			ticker.Reset(interval)
			s.emitAll(nc)
		case <-ticker.C:
			s.emitAll(nc)
		case <-ctx.Done():
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// emitAll publishes `<service>.register` for every registration, in a
// stable order.
func (s *service) emitAll(nc *nats.Conn) {
	s.mu.Lock()
	keys := make([]string, 0, len(s.registrations))
	for key := range s.registrations {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	messages := make([]Message, 0, len(keys))
	for _, key := range keys {
		messages = append(messages, s.registrations[key])
	}
	s.mu.Unlock()
	s.logger.Debug("emitting-registrations", lager.Data{"count": len(messages)})
	for _, msg := range messages {
		publish(s.logger, nc, s.register, msg)
	}
}

func publish(logger lager.Logger, nc *nats.Conn, subject string, msg Message) {
	payload, err := json.Marshal(msg)
	if err != nil {
		logger.Error("failed-to-marshal", err, lager.Data{"subject": subject})
		return
	}
	if err := nc.Publish(subject, payload); err != nil {
		logger.Error("failed-to-publish", err, lager.Data{"subject": subject})
	}
}
