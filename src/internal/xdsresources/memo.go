package xdsresources

import (
	"fmt"
	"maps"
)

// memo remembers, for one round of translation, what each resource was
// built from and what it became. A resource whose input equals its input in
// the round before is the same value again: not rebuilt, not revalidated,
// and the same message pointer, which the xDS server's digest memo
// recognises without encoding it (issue 8: translating and digesting every
// resource was most of an endpoint change at 100k endpoints).
//
// A round ends with endRound; what it did not ask for is forgotten, so a
// memo holds one round's resources. Entries are stamped with the round
// that last asked for them, in place: copying every entry into a new map
// each round was most of a round's cost once little changed.
type memo[In, Out any] struct {
	equal   func(a, b In) bool
	round   uint64
	entries map[string]*memoEntry[In, Out]
	// yield is called before each get (the Translator's checkpoint).
	yield func()
}

type memoEntry[In, Out any] struct {
	round uint64
	in    In
	out   Out
}

func newMemo[In, Out any](equal func(a, b In) bool) *memo[In, Out] {
	return &memo[In, Out]{equal: equal, entries: map[string]*memoEntry[In, Out]{}, yield: func() {}}
}

func (m *memo[In, Out]) yieldTo(checkpoint func()) { m.yield = checkpoint }

// get returns what key became from an equal input in this round or the one
// before, and builds it from in otherwise.
func (m *memo[In, Out]) get(key string, in In, build func(In) Out) Out {
	m.yield()
	e := m.entries[key]
	if e != nil && m.equal(e.in, in) {
		// Keep this round's input, not the older equal one, so nothing
		// of an older IR stays reachable.
		e.round, e.in = m.round, in
		return e.out
	}
	out := build(in)
	if e == nil {
		m.entries[key] = &memoEntry[In, Out]{round: m.round, in: in, out: out}
	} else {
		e.round, e.in, e.out = m.round, in, out
	}
	return out
}

// endRound forgets what this round did not ask for, and starts the next.
func (m *memo[In, Out]) endRound() {
	maps.DeleteFunc(m.entries, func(_ string, e *memoEntry[In, Out]) bool { return e.round != m.round })
	m.round++
}

func equalComparable[T comparable](a, b T) bool { return a == b }

// checked is a built resource, or why it is not served: it failed to build
// or to validate.
type checked[T validatable] struct {
	r   T
	err error
}

func check[T validatable](r T, buildErr error) checked[T] {
	if buildErr != nil {
		return checked[T]{err: fmt.Errorf("%T: %w", r, buildErr)}
	}
	if err := r.ValidateAll(); err != nil {
		return checked[T]{err: fmt.Errorf("%T %s is invalid and was not served: %w", r, resourceName(r), err)}
	}
	return checked[T]{r: r}
}

// add stores a checked resource under its name unless it failed or another
// resource has the name, and appends why not to errs.
func add[T validatable](into map[string]T, c checked[T], errs []error) []error {
	if c.err != nil {
		return append(errs, c.err)
	}
	name := resourceName(c.r)
	if _, dup := into[name]; dup {
		return append(errs, fmt.Errorf("%T %s is generated twice; the second was dropped", c.r, name))
	}
	into[name] = c.r
	return errs
}

// addBuilt is addValid for a resource whose construction could fail.
func addBuilt[T validatable](into map[string]T, r T, buildErr error, errs []error) []error {
	return add(into, check(r, buildErr), errs)
}

// addValid stores r under its name when it validates and is not a
// duplicate, and appends the reason to errs otherwise.
func addValid[T validatable](into map[string]T, r T, errs []error) []error {
	return add(into, check(r, nil), errs)
}
