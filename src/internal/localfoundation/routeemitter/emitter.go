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

// The subjects route-emitter uses towards routers.
const (
	subjectRegister   = "router.register"
	subjectUnregister = "router.unregister"
	subjectGreet      = "router.greet"
	subjectStart      = "router.start"
)

// Options tune the simulator; zero values take route-emitter's defaults.
type Options struct {
	// JitterFactor scales the random pause before re-emitting after a
	// router.start: up to JitterFactor × the interval (default 0.2).
	JitterFactor float64
	// GreetRetryInterval is how often router.greet is repeated until a
	// router answers (default 1s, route-emitter's fixed value).
	GreetRetryInterval time.Duration
	// ReconnectWait is the pause between NATS reconnect attempts
	// (default 1s).
	ReconnectWait time.Duration
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

// Emitter simulates one route-emitter towards the routers on NATS.
type Emitter struct {
	natsURL string
	logger  lager.Logger
	opts    Options

	mu            sync.Mutex
	registrations map[string]Message
	conn          *nats.Conn // set while Run is connected or reconnecting

	greeted   chan struct{}
	greetOnce sync.Once
}

// New returns an emitter for the NATS server at natsURL. Nothing happens
// until Run.
func New(natsURL string, logger lager.Logger, opts Options) *Emitter {
	return &Emitter{
		natsURL:       natsURL,
		logger:        logger.Session("route-emitter"),
		opts:          opts.withDefaults(),
		registrations: map[string]Message{},
		greeted:       make(chan struct{}),
	}
}

// Greeted is closed once a router answered router.greet or announced
// itself with router.start, i.e. once periodic re-emits are scheduled.
func (e *Emitter) Greeted() <-chan struct{} {
	return e.greeted
}

// Register adds (or replaces) a registration and, when Run is connected,
// publishes router.register for it at once, as route-emitter does when an
// instance starts running. Periodic re-emits include it from then on.
func (e *Emitter) Register(msg Message) {
	e.mu.Lock()
	e.registrations[msg.key()] = msg
	conn := e.conn
	e.mu.Unlock()
	if conn != nil {
		e.publish(conn, subjectRegister, msg)
	}
}

// Unregister forgets a registration and, when Run is connected, publishes
// router.unregister for it at once. It is not re-emitted again. (The real
// route-emitter also repeats unregisters every 30s, 20 times; the simulator
// sends one.)
func (e *Emitter) Unregister(msg Message) {
	e.mu.Lock()
	delete(e.registrations, msg.key())
	conn := e.conn
	e.mu.Unlock()
	if conn != nil {
		e.publish(conn, subjectUnregister, msg)
	}
}

// Run connects to NATS and behaves like route-emitter's NATS side until ctx
// is done, then returns nil:
//
//  1. it subscribes to router.start and a reply inbox, and emits every
//     registration it already has (route-emitter's start-up sync);
//  2. it publishes router.greet with the inbox, every GreetRetryInterval,
//     until a router replies or publishes router.start; nothing is
//     re-emitted before that;
//  3. it then re-emits every registration every
//     minimumRegisterIntervalInSeconds of that message (the first after one
//     interval); a later router.start sets a new interval and, after a
//     random jitter, re-emits at once and restarts the interval.
func (e *Emitter) Run(ctx context.Context) error {
	intervals := make(chan time.Duration, 16)
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

	inbox := nats.NewInbox()
	if err := e.listenForRouters(ctx, nc, inbox, intervals); err != nil {
		return err
	}
	e.mu.Lock()
	e.conn = nc
	e.mu.Unlock()
	e.emitAll(nc)

	interval, ok := e.greetUntilAnswered(ctx, nc, inbox, intervals)
	if !ok {
		return nil
	}
	e.greetOnce.Do(func() { close(e.greeted) })
	e.logger.Info("received-router-interval", lager.Data{"interval": interval.String()})
	e.emitPeriodically(ctx, nc, interval, intervals)
	return nil
}

func (e *Emitter) listenForRouters(ctx context.Context, nc *nats.Conn, inbox string, intervals chan<- time.Duration) error {
	handle := func(msg *nats.Msg) {
		var greeting struct {
			MinimumRegisterInterval int `json:"minimumRegisterIntervalInSeconds"`
		}
		if err := json.Unmarshal(msg.Data, &greeting); err != nil || greeting.MinimumRegisterInterval <= 0 {
			e.logger.Info("received-invalid-router-start", lager.Data{"payload": string(msg.Data)})
			return
		}
		select {
		case intervals <- time.Duration(greeting.MinimumRegisterInterval) * time.Second:
		case <-ctx.Done():
		}
	}
	if _, err := nc.Subscribe(subjectStart, handle); err != nil {
		return fmt.Errorf("route-emitter simulator: subscribe %s: %w", subjectStart, err)
	}
	sub, err := nc.Subscribe(inbox, handle)
	if err != nil {
		return fmt.Errorf("route-emitter simulator: subscribe %s: %w", inbox, err)
	}
	return sub.AutoUnsubscribe(1)
}

func (e *Emitter) greetUntilAnswered(ctx context.Context, nc *nats.Conn, inbox string, intervals <-chan time.Duration) (time.Duration, bool) {
	retry := time.NewTicker(e.opts.GreetRetryInterval)
	defer retry.Stop()
	for {
		e.logger.Info("greeting-routers")
		if err := nc.PublishRequest(subjectGreet, inbox, []byte{}); err != nil {
			e.logger.Error("failed-to-greet", err)
		}
		select {
		case interval := <-intervals:
			return interval, true
		case <-retry.C:
		case <-ctx.Done():
			return 0, false
		}
	}
}

func (e *Emitter) emitPeriodically(ctx context.Context, nc *nats.Conn, interval time.Duration, intervals <-chan time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case interval = <-intervals:
			e.logger.Info("received-new-router-interval", lager.Data{"interval": interval.String()})
			if !sleep(ctx, rand.N(time.Duration(e.opts.JitterFactor*float64(interval))+1)) {
				return
			}
			ticker.Reset(interval)
			e.emitAll(nc)
		case <-ticker.C:
			e.emitAll(nc)
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

// emitAll publishes router.register for every registration, in a stable
// order.
func (e *Emitter) emitAll(nc *nats.Conn) {
	e.mu.Lock()
	keys := make([]string, 0, len(e.registrations))
	for key := range e.registrations {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	messages := make([]Message, 0, len(keys))
	for _, key := range keys {
		messages = append(messages, e.registrations[key])
	}
	e.mu.Unlock()
	e.logger.Debug("emitting-registrations", lager.Data{"count": len(messages)})
	for _, msg := range messages {
		e.publish(nc, subjectRegister, msg)
	}
}

func (e *Emitter) publish(nc *nats.Conn, subject string, msg Message) {
	payload, err := json.Marshal(msg)
	if err != nil {
		e.logger.Error("failed-to-marshal", err, lager.Data{"subject": subject})
		return
	}
	if err := nc.Publish(subject, payload); err != nil {
		e.logger.Error("failed-to-publish", err, lager.Data{"subject": subject})
	}
}

func (e *Emitter) close(nc *nats.Conn) {
	e.mu.Lock()
	e.conn = nil
	e.mu.Unlock()
	_ = nc.FlushTimeout(time.Second)
	nc.Close()
}
