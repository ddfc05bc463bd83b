package backend

import (
	"bufio"
	"bytes"
	"net"
	"sync"
	"time"
)

// http2Preface starts every HTTP/2 connection without TLS (gRPC here).
var http2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// split serves one TCP port to two servers: connections opening with the
// HTTP/2 preface go to the gRPC server (so it answers as a native gRPC
// server does, trailers-only errors included), all others to HTTP/1.1.
type split struct {
	outer  net.Listener
	grpc   *childListener
	http   *childListener
	closed chan struct{}
	once   sync.Once
}

func newSplit(outer net.Listener) *split {
	s := &split{outer: outer, closed: make(chan struct{})}
	s.grpc = &childListener{parent: s, conns: make(chan net.Conn)}
	s.http = &childListener{parent: s, conns: make(chan net.Conn)}
	go s.run()
	return s
}

func (s *split) run() {
	for {
		conn, err := s.outer.Accept()
		if err != nil {
			s.close()
			return
		}
		go s.route(conn)
	}
}

// route reads the start of a connection, then hands it on with those bytes
// put back.
func (s *split) route(conn net.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	reader := bufio.NewReaderSize(conn, len(http2Preface))
	start, _ := reader.Peek(len(http2Preface))
	_ = conn.SetReadDeadline(time.Time{})
	target := s.http
	if bytes.Equal(start, http2Preface) {
		target = s.grpc
	}
	select {
	case target.conns <- &peekedConn{Conn: conn, reader: reader}:
	case <-s.closed:
		conn.Close()
	}
}

func (s *split) close() {
	s.once.Do(func() {
		close(s.closed)
		s.outer.Close()
	})
}

// childListener is one server's view of the shared port.
type childListener struct {
	parent *split
	conns  chan net.Conn
}

func (l *childListener) Accept() (net.Conn, error) {
	select {
	case conn := <-l.conns:
		return conn, nil
	case <-l.parent.closed:
		return nil, net.ErrClosed
	}
}

func (l *childListener) Close() error   { l.parent.close(); return nil }
func (l *childListener) Addr() net.Addr { return l.parent.outer.Addr() }

// peekedConn replays the bytes route read.
type peekedConn struct {
	net.Conn
	reader *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.reader.Read(p) }
