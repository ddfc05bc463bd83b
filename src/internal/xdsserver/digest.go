package xdsserver

import (
	"hash/maphash"
	"sync"

	"google.golang.org/protobuf/proto"
)

// Decision (issue 8): every Update compares every resource the pilot
// serves with its successor. proto.Equal walks both messages by reflection:
// at 10,000 hosts and 100,000 endpoints an Update took 2.1 s with it and
// takes 0.48 s with digests (BenchmarkUpdate). Each message is encoded once,
// deterministically, and its 128-bit digest (two seeded maphashes; a
// collision, which would keep a stale resource, is a 2^-128 chance)
// remembered by pointer: the resources served now were digested when they
// were wanted, so a comparison costs one encoding of the new message.
// Messages handed to Update must not change afterwards (the caches
// already rely on that). Each Server has its own memo, so two
// servers in one process (tests, the benchmark) neither share nor sweep
// each other's digests.

// digest is a 128-bit hash of a message's deterministic encoding.
type digest [2]uint64

// digestMemo remembers the digests of the messages a Server serves now,
// in two generations: the current one, which an Update fills with the
// messages it compares, and the previous one, which a lookup promotes
// from. diff retires the messages an Update replaces; the Update's sweep
// forgets them (only then: sidecars share messages, so a message replaced
// for one is compared again for the next) and turns the current
// generation into the previous one. So what no Update compared for a
// whole Update (what a failed Update wanted, a departed proxy's own
// resources) is forgotten by the next one, and the memo keeps alive no
// more than what two Updates compared. Safe for concurrent use.
type digestMemo struct {
	seeds [2]maphash.Seed
	// protoEqual compares with proto.Equal instead (benchmarks only).
	protoEqual bool

	mu        sync.Mutex
	cur, prev map[proto.Message]digest
	retired   map[proto.Message]struct{}
}

func newDigestMemo() *digestMemo {
	return &digestMemo{
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		cur:   map[proto.Message]digest{}, prev: map[proto.Message]digest{}, retired: map[proto.Message]struct{}{},
	}
}

// equal reports whether two messages have the same deterministic encoding,
// compared by digest. A message that cannot be encoded is never equal to
// anything, so it is pushed (and its error surfaces there).
func (m *digestMemo) equal(a, b proto.Message) bool {
	if m.protoEqual {
		return proto.Equal(a, b)
	}
	if a == b {
		return true
	}
	da, okA := m.of(a)
	db, okB := m.of(b)
	return okA && okB && da == db
}

// of returns msg's digest, remembered in the current generation.
func (m *digestMemo) of(msg proto.Message) (digest, bool) {
	m.mu.Lock()
	d, ok := m.cur[msg]
	if !ok {
		if d, ok = m.prev[msg]; ok {
			m.cur[msg] = d
		}
	}
	m.mu.Unlock()
	if ok {
		return d, true
	}
	d, ok = m.digestOf(msg)
	if !ok {
		return digest{}, false
	}
	m.mu.Lock()
	m.cur[msg] = d
	m.mu.Unlock()
	return d, true
}

// retire marks a message that is no longer served, for the next sweep.
func (m *digestMemo) retire(msg proto.Message) {
	m.mu.Lock()
	m.retired[msg] = struct{}{}
	m.mu.Unlock()
}

// sweep ends an Update: it forgets the retired messages and what was not
// compared during the Update, and starts a new generation.
func (m *digestMemo) sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for msg := range m.retired {
		delete(m.cur, msg)
	}
	clear(m.retired)
	m.prev, m.cur = m.cur, make(map[proto.Message]digest, len(m.cur))
}

// size is the number of digests remembered, for tests.
func (m *digestMemo) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cur) + len(m.prev)
}

func (m *digestMemo) digestOf(msg proto.Message) (digest, bool) {
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return digest{}, false
	}
	return digest{maphash.Bytes(m.seeds[0], body), maphash.Bytes(m.seeds[1], body)}, true
}
