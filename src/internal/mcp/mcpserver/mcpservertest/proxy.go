package mcpservertest

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// Proxy is a TCP proxy on loopback that can turn into a black hole: once
// frozen it keeps every connection open but forwards no byte in either
// direction, as a peer behind a dead route or a hung host would. The kernel
// still acknowledges TCP segments, so only application-level keepalives
// (gRPC pings) notice.
type Proxy struct {
	Addr string

	target   string
	listener net.Listener
	frozen   atomic.Bool

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// NewProxy listens on 127.0.0.1 and forwards each connection to target.
func NewProxy(target string) (*Proxy, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	p := &Proxy{Addr: lis.Addr().String(), target: target, listener: lis}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Freeze stops forwarding on every connection, present and future.
func (p *Proxy) Freeze() { p.frozen.Store(true) }

// Close closes the listener and every connection and waits for the
// forwarding goroutines.
func (p *Proxy) Close() {
	_ = p.listener.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(client, server)
		go p.pipe(server, client)
	}
}

// pipe copies from src to dst until either fails, dropping what it reads
// while frozen.
func (p *Proxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	defer func() { _ = dst.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				_ = src.Close()
			}
			return
		}
	}
}
