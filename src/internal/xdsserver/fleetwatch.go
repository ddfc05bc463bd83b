package xdsserver

import (
	"strconv"
	"strings"

	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// knownVersionKey is an entry fleetCache adds to the returned-resources
// map of each response: the cache version the map describes. The server
// hands the map back with the proxy's next request, so an ACK can be
// compared with the changes since (knownVersion). It is not a resource
// name (no proxy can have received a resource by that name), and every
// comparison skips it.
const knownVersionKey = "\x00cf-mesh:cache-version"

// fleetWatch is one open request of one proxy, State of the World or
// Delta.
type fleetWatch struct {
	sub cachev3.Subscription
	// since is the cache version after which a change can concern it; a
	// State-of-the-World partial-state watch that could not be told of a
	// removal keeps the version before it (full: before any it knows).
	since    uint64
	full     bool
	sotw     *cachev3.Request
	sotwOut  chan cachev3.Response
	delta    *cachev3.DeltaRequest
	deltaOut chan cachev3.DeltaResponse
}

func (w *fleetWatch) isDelta() bool { return w.delta != nil }

// concernedBy reports whether a change of names may concern the watch.
func (w *fleetWatch) concernedBy(names []string) bool {
	if w.sub.IsWildcard() {
		return len(names) > 0
	}
	subscribed := w.sub.SubscribedResources()
	for _, name := range names {
		if _, ok := subscribed[name]; ok {
			return true
		}
	}
	return false
}

// send hands the response to the stream; its channel has room for one
// response per type, and a watch answers once.
func (w *fleetWatch) send(resp *fleetResponse) {
	if w.isDelta() {
		w.deltaOut <- resp.delta(w.delta)
		return
	}
	w.sotwOut <- resp.sotw(w.sotw)
}

// knownVersion is the cache version whose state the proxy's returned
// resources describe, when that can be told without comparing them all:
//   - Delta, and State-of-the-World wildcards: the version our last
//     response recorded in the map, provided it is an ACK (nonce) that
//     does not change the subscription;
//   - a State-of-the-World named subscription (the server drops names no
//     longer subscribed from the map, our entry with them): the version
//     the request ACKs, when the map holds exactly the subscribed names.
//     A NACK names an older version: more changes to compare, never fewer.
//
// A proxy that sends a version it was not given misleads only itself.
func (c *fleetCache) knownVersion(w *fleetWatch) (uint64, bool) {
	returned := w.sub.ReturnedResources()
	if recorded, ok := returned[knownVersionKey]; ok {
		if w.isDelta() && (w.delta.GetResponseNonce() == "" ||
			len(w.delta.GetResourceNamesSubscribe()) > 0 || len(w.delta.GetResourceNamesUnsubscribe()) > 0) {
			return 0, false
		}
		return c.parseVersion(recorded)
	}
	if w.isDelta() || w.sub.IsWildcard() {
		return 0, false
	}
	if len(returned) == 0 || len(returned) != len(w.sub.SubscribedResources()) {
		return 0, false
	}
	version, ok := strings.CutPrefix(w.sotw.GetVersionInfo(), c.prefix)
	if !ok {
		return 0, false
	}
	return c.parseVersion(version)
}

func (c *fleetCache) parseVersion(s string) (uint64, bool) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > c.version {
		return 0, false
	}
	return v, true
}

// respond builds the response a watch needs now, or nil if it needs none
// (LinearCache's rules). candidates are the only names that can differ
// from what the proxy knows; nil means any can. unsaid reports removals
// that a nil response leaves untold.
func (c *fleetCache) respond(w *fleetWatch, candidates []string, replyEvenIfEmpty bool) (resp *fleetResponse, unsaid bool, err error) {
	c.returnedMu.Lock()
	changed, removed, err := c.compare(w, candidates)
	c.returnedMu.Unlock()
	if err != nil {
		return nil, false, err
	}
	if len(changed) == 0 && len(removed) == 0 && !replyEvenIfEmpty {
		return nil, false, nil
	}
	var names []string
	switch {
	case !c.fullState || w.isDelta():
		// State of the World cannot say a resource was removed: a
		// partial-state answer with nothing in it means nothing.
		if !w.isDelta() && !replyEvenIfEmpty && len(changed) == 0 {
			return nil, len(removed) > 0, nil
		}
		names = changed
	case w.sub.IsWildcard():
		names = make([]string, 0, len(c.resources))
		for name := range c.resources {
			names = append(names, name)
		}
	default:
		names = make([]string, 0, len(w.sub.SubscribedResources()))
		for name := range w.sub.SubscribedResources() {
			if _, ok := c.resources[name]; ok {
				names = append(names, name)
			}
		}
	}
	resp, err = c.response(w, names, removed)
	return resp, false, err
}

// response is the answer carrying names and removed, with the versions
// the proxy will then know (applied as the stream sends it).
func (c *fleetCache) response(w *fleetWatch, names, removed []string) (*fleetResponse, error) {
	resp := &fleetResponse{typeURL: c.typeURL, version: c.versionString(c.version), removed: removed,
		versions: make([]string, 0, len(names)), knownVersion: strconv.FormatUint(c.version, 10),
		known: w.sub.ReturnedResources(), mu: &c.returnedMu}
	for _, name := range names {
		res := c.resources[name]
		version, err := res.versionFor(w.isDelta())
		if err != nil {
			return nil, err
		}
		resp.versions = append(resp.versions, version)
		resp.resources = append(resp.resources, namedResource{name: name, res: res})
	}
	return resp, nil
}

// compare lists the subscribed resources the proxy lacks or holds in
// another version (changed), and those it holds that are gone or no
// longer subscribed (removed), among candidates or, when nil, all.
func (c *fleetCache) compare(w *fleetWatch, candidates []string) (changed, removed []string, err error) {
	known := w.sub.ReturnedResources()
	check := func(name string) error {
		res, exists := c.resources[name]
		version, isKnown := known[name]
		switch {
		case !exists:
			if isKnown {
				removed = append(removed, name)
			}
		case !isKnown:
			changed = append(changed, name)
		default:
			current, err := res.versionFor(w.isDelta())
			if err != nil {
				return err
			}
			if current != version {
				changed = append(changed, name)
			}
		}
		return nil
	}
	if candidates == nil {
		err = c.compareAll(w, check, &removed)
		return changed, removed, err
	}
	err = c.compareCandidates(w, candidates, check, &removed)
	return changed, removed, err
}

// compareAll checks every resource of the subscription, as LinearCache.
func (c *fleetCache) compareAll(w *fleetWatch, check func(string) error, removed *[]string) error {
	known := w.sub.ReturnedResources()
	if w.sub.IsWildcard() {
		for name := range c.resources {
			if err := check(name); err != nil {
				return err
			}
		}
		for name := range known {
			if _, ok := c.resources[name]; !ok && name != knownVersionKey {
				*removed = append(*removed, name)
			}
		}
		return nil
	}
	subscribed := w.sub.SubscribedResources()
	for name := range subscribed {
		if err := check(name); err != nil {
			return err
		}
	}
	for name := range known {
		if _, ok := subscribed[name]; !ok && name != knownVersionKey {
			*removed = append(*removed, name)
		}
	}
	return nil
}

// compareCandidates checks only the candidates the subscription covers.
func (c *fleetCache) compareCandidates(w *fleetWatch, candidates []string, check func(string) error, removed *[]string) error {
	subscribed := w.sub.SubscribedResources()
	seen := make(map[string]bool, len(candidates))
	for _, name := range candidates {
		if seen[name] || name == knownVersionKey {
			continue
		}
		seen[name] = true
		if _, ok := subscribed[name]; !ok && !w.sub.IsWildcard() {
			if _, isKnown := w.sub.ReturnedResources()[name]; isKnown {
				*removed = append(*removed, name)
			}
			continue
		}
		if err := check(name); err != nil {
			return err
		}
	}
	return nil
}
