package xdsserver

import (
	"fmt"
	"sync"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// encoding is a resource's wire encoding and its Delta version (the hash
// of the encoding), each computed at most once, when first asked for.
type encoding struct {
	encoded func() ([]byte, error)
	hash    func() (string, error)
}

func newEncoding(res types.Resource) encoding {
	encoded := sync.OnceValues(func() ([]byte, error) { return cachev3.MarshalResource(res) })
	return encoding{
		encoded: encoded,
		hash: sync.OnceValues(func() (string, error) {
			b, err := encoded()
			if err != nil {
				return "", fmt.Errorf("encoding: %w", err)
			}
			return cachev3.HashResource(b), nil
		}),
	}
}

// sharedEncodings lets the caches of every container sidecar encode a
// message they all hold once (issue 8): each sidecar's own caches also
// hold the outbound listeners and route configurations every sidecar
// shares (one message, the same pointer), and a route configuration with
// every internal host is megabytes. Entries are counted by the caches
// holding the message and forgotten when the last lets it go, so the
// shared messages stay alive no longer than a cache serves them.
//
// Concurrency: safe for concurrent use; a cache calls it under its own
// lock (lock order: cache, then sharedEncodings).
type sharedEncodings struct {
	mu      sync.Mutex
	entries map[types.Resource]*sharedEncoding
}

type sharedEncoding struct {
	encoding
	holders int
}

func newSharedEncodings() *sharedEncodings {
	return &sharedEncodings{entries: map[types.Resource]*sharedEncoding{}}
}

// acquire returns res's encoding and counts one more holder.
func (s *sharedEncodings) acquire(res types.Resource) encoding {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[res]
	if !ok {
		e = &sharedEncoding{encoding: newEncoding(res)}
		s.entries[res] = e
	}
	e.holders++
	return e.encoding
}

// release counts one holder less, forgetting res after the last.
func (s *sharedEncodings) release(res types.Resource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[res]
	if !ok {
		return
	}
	if e.holders--; e.holders <= 0 {
		delete(s.entries, res)
	}
}

// size is the number of messages remembered, for tests.
func (s *sharedEncodings) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}
