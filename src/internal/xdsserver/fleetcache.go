package xdsserver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// fleetCache holds the resources of one type that a fleet of proxies
// shares and answers their watches: the cachev3.Cache behind each shared
// MuxCache entry, in place of go-control-plane's LinearCache (issue 8,
// ADR 17). Its responses are LinearCache's: the same versions (the cache
// version at a resource's last change for State of the World, the hash of
// its encoding for Delta), the same resources and removals, the same rules
// for when to answer. What differs is the cost of a change:
//
//   - LinearCache indexed every named watch under every name it
//     subscribes to, and undid that when it answered: 10,000 map writes
//     and deletes per gateway or sidecar EDS watch, each time. fleetCache
//     keeps its watches in one map and asks each open watch whether a
//     changed name concerns it.
//   - LinearCache compared every subscribed resource when a change woke a
//     watch and again when the proxy ACKed. An open watch was up to date
//     when it was opened, so fleetCache compares only the names changed
//     since;
//     an ACK is compared against the changes since the version it answers,
//     from a log of changes (knownVersion), and only otherwise in full.
//
// Concurrency: safe for concurrent use; one mutex guards everything.
// Responses are encoded by the stream that sends them, outside the lock.
type fleetCache struct {
	typeURL   string
	prefix    string
	fullState bool // State of the World responses carry every subscribed resource
	// encodings, when set, encodes the messages this cache shares with
	// others once for all of them (a sidecar's own caches); nil encodes
	// each of its resources for this cache alone.
	encodings *sharedEncodings

	mu        sync.Mutex
	version   uint64
	resources map[string]*fleetResource
	changes   changeLog
	watches   map[uint64]*fleetWatch
	lastWatch uint64
	// returnedMu guards the proxies' returned-resources maps, which a
	// stream writes as it sends a response (fleetResponse.returnedResources)
	// while the cache may read them for a watch of the same stream.
	returnedMu sync.Mutex
}

var _ cachev3.Cache = (*fleetCache)(nil)

// fleetResource is a resource with its versions and encoding, computed at
// most once.
type fleetResource struct {
	encoding
	// name is the key it is held under: requests share this string.
	name     string
	resource types.Resource
	// version is the cache version of its last change, with the prefix.
	version string
}

// versionFor is the resource's version in State of the World or Delta.
func (r *fleetResource) versionFor(delta bool) (string, error) {
	if delta {
		return r.hash()
	}
	return r.version, nil
}

func newFleetCache(typeURL, prefix string) *fleetCache {
	return &fleetCache{
		typeURL:   typeURL,
		prefix:    prefix,
		fullState: cachev3.ResourceRequiresFullStateInSotw(typeURL),
		resources: map[string]*fleetResource{},
		watches:   map[uint64]*fleetWatch{},
	}
}

func (c *fleetCache) newResource(name string, res types.Resource, version string) *fleetResource {
	r := &fleetResource{name: name, resource: res, version: version}
	if previous, ok := c.resources[name]; ok {
		r.name = previous.name // the string requests already share
	}
	if c.encodings == nil {
		r.encoding = newEncoding(res)
	} else {
		r.encoding = c.encodings.acquire(res)
	}
	return r
}

// shareNames replaces, in place, each name the cache holds with the
// cache's own string (requestedNames).
func (c *fleetCache) shareNames(names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, name := range names {
		if r, ok := c.resources[name]; ok {
			names[i] = r.name
		}
	}
}

func (c *fleetCache) releaseResource(r *fleetResource) {
	if r != nil && c.encodings != nil {
		c.encodings.release(r.resource)
	}
}

// release lets go of every resource's shared encoding: the cache is no
// longer served (a sidecar's last stream closed).
func (c *fleetCache) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.resources {
		c.releaseResource(r)
	}
	c.encodings = nil
}

func (c *fleetCache) versionString(v uint64) string {
	return c.prefix + strconv.FormatUint(v, 10)
}

// UpdateResources sets and deletes resources in one new version, and
// answers every open watch the change concerns.
func (c *fleetCache) UpdateResources(toUpdate map[string]types.Resource, toDelete []string) error {
	for name, res := range toUpdate {
		if res == nil {
			return fmt.Errorf("resource %s is nil; nothing was updated", name)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version++
	version := c.versionString(c.version)
	changed := make([]string, 0, len(toUpdate)+len(toDelete))
	for name, res := range toUpdate {
		previous := c.resources[name]
		c.resources[name] = c.newResource(name, res, version)
		c.releaseResource(previous)
		changed = append(changed, name)
	}
	for _, name := range toDelete {
		c.releaseResource(c.resources[name])
		delete(c.resources, name)
		changed = append(changed, name)
	}
	c.changes.add(c.version, changed, len(c.resources))
	return c.notify(changed)
}

// notify answers the open watches that a change of names concerns. Each
// was up to date when opened, except for what a State-of-the-World
// partial-state answer cannot carry (a removal), so only the names changed
// since it was opened can differ from what it knows.
func (c *fleetCache) notify(names []string) error {
	for id, w := range c.watches {
		if !w.concernedBy(names) {
			continue
		}
		candidates, ok := c.changes.since(w.since)
		if !ok || w.full {
			candidates = nil // compare everything
		}
		resp, unsaid, err := c.respond(w, candidates, false)
		if err != nil {
			return err
		}
		if resp != nil {
			delete(c.watches, id)
			w.send(resp)
			continue
		}
		if !unsaid {
			w.since = c.version
		}
	}
	return nil
}

// CreateWatch answers a State of the World request at once when the proxy
// lacks something, and otherwise keeps the watch open until a change
// concerns it.
func (c *fleetCache) CreateWatch(req *cachev3.Request, sub cachev3.Subscription, out chan cachev3.Response) (func(), error) {
	if req.GetTypeUrl() != c.typeURL {
		return nil, fmt.Errorf("request type %s does not match cache type %s", req.GetTypeUrl(), c.typeURL)
	}
	// Without a version of ours the proxy holds nothing we know of: it
	// gets an answer even if empty.
	replyEvenIfEmpty := req.GetVersionInfo() == "" || !strings.HasPrefix(req.GetVersionInfo(), c.prefix)
	return c.open(&fleetWatch{sub: sub, sotw: req, sotwOut: out}, replyEvenIfEmpty)
}

// CreateDeltaWatch is CreateWatch for Delta.
func (c *fleetCache) CreateDeltaWatch(req *cachev3.DeltaRequest, sub cachev3.Subscription, out chan cachev3.DeltaResponse) (func(), error) {
	if req.GetTypeUrl() != c.typeURL {
		return nil, fmt.Errorf("request type %s does not match cache type %s", req.GetTypeUrl(), c.typeURL)
	}
	// A wildcard subscription's first request expects an answer, even
	// empty, to complete the proxy's initialisation.
	replyEvenIfEmpty := sub.IsWildcard() && req.GetResponseNonce() == ""
	return c.open(&fleetWatch{sub: sub, delta: req, deltaOut: out}, replyEvenIfEmpty)
}

// open answers or keeps a new watch. A proxy that ACKs a version of ours
// is compared only on what changed since (knownVersion); anything else in
// full.
func (c *fleetCache) open(w *fleetWatch, replyEvenIfEmpty bool) (func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !replyEvenIfEmpty {
		if v, ok := c.knownVersion(w); ok {
			if candidates, ok := c.changes.since(v); ok {
				return c.answerOrKeep(w, candidates, v, false)
			}
		}
	}
	return c.answerOrKeep(w, nil, 0, replyEvenIfEmpty)
}

// answerOrKeep answers w from candidates, the changes since version base
// (nil: compare everything), or keeps it open.
func (c *fleetCache) answerOrKeep(w *fleetWatch, candidates []string, base uint64, replyEvenIfEmpty bool) (func(), error) {
	resp, unsaid, err := c.respond(w, candidates, replyEvenIfEmpty)
	if err != nil {
		return nil, fmt.Errorf("answering the watch: %w", err)
	}
	if resp != nil {
		w.send(resp)
		return func() {}, nil
	}
	w.since = c.version
	if unsaid {
		// The removals it could not be told of must be compared again.
		w.since, w.full = base, candidates == nil
	}
	c.lastWatch++
	id := c.lastWatch
	c.watches[id] = w
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.watches, id)
	}, nil
}

// Fetch is not served: proxies watch.
func (c *fleetCache) Fetch(context.Context, *cachev3.Request) (cachev3.Response, error) {
	return nil, errors.New("fetch is not served")
}
