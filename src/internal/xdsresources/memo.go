package xdsresources

import "fmt"

// memo remembers, for one round of translation, what each resource was
// built from and what it became. A resource whose input equals its input in
// the round before is the same value again: not rebuilt, not revalidated,
// and the same message pointer, which the xDS server's digest memo
// recognises without encoding it (issue 8: translating and digesting every
// resource was most of an endpoint change at 100k endpoints).
//
// A round ends with endRound; what it did not ask for is forgotten, so a
// memo holds one round's resources.
type memo[In, Out any] struct {
	equal      func(a, b In) bool
	prev, next map[string]memoEntry[In, Out]
}

type memoEntry[In, Out any] struct {
	in  In
	out Out
}

func newMemo[In, Out any](equal func(a, b In) bool) *memo[In, Out] {
	return &memo[In, Out]{equal: equal, prev: map[string]memoEntry[In, Out]{}, next: map[string]memoEntry[In, Out]{}}
}

// get returns what key became from an equal input in this round or the one
// before, and builds it from in otherwise.
func (m *memo[In, Out]) get(key string, in In, build func(In) Out) Out {
	if e, ok := m.next[key]; ok && m.equal(e.in, in) {
		return e.out
	}
	if e, ok := m.prev[key]; ok && m.equal(e.in, in) {
		// Keep this round's input, not the older equal one, so nothing
		// of an older IR stays reachable.
		m.next[key] = memoEntry[In, Out]{in: in, out: e.out}
		return e.out
	}
	out := build(in)
	m.next[key] = memoEntry[In, Out]{in: in, out: out}
	return out
}

// endRound makes this round the one the next round reuses from.
func (m *memo[In, Out]) endRound() {
	m.prev = m.next
	m.next = make(map[string]memoEntry[In, Out], len(m.prev))
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
