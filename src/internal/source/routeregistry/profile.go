package routeregistry

// profile is what an endpoint shares with the other instances of its app
// process on the same route: the app and process identity, the route's
// options and protocol, the placement, and the tags as a template. It is
// immutable once built; the table hash-conses profiles and counts their
// users, so one profile serves every instance that registers alike.
//
// Tags (decision): route-emitter's tags are Cloud Controller's metric tags
// of the app process (a dozen, mostly GUIDs). Two of them are per
// instance: `process_instance_id` (the instance GUID) and `instance_id` (the
// index), which BBS fills in from the dynamic values INSTANCE_GUID and
// INDEX. A map per endpoint cost more memory than everything else an
// endpoint holds. The template keeps a tag whose value is the endpoint's
// instance GUID or index as a placeholder, so one profile serves every
// instance of a process and still gives back each endpoint's tags exactly.
type profile struct {
	appGUID, processGUID, processType, protocol       string
	availabilityZone, isolationSegment, loadBalancing string

	static []tagPair
	// dynamic names the tags whose value is the endpoint's instance GUID
	// (the first byInstanceID) or else its index (the rest).
	dynamic      []string
	byInstanceID int

	hash uint64
	refs int
	next *profile // another profile with the same hash
}

type tagPair struct {
	name, value string
}

// matches reports whether f, registered by the instance f names, is what p
// describes. A nil profile matches nothing.
func (p *profile) matches(f *fields) bool {
	return p != nil && p.appGUID == f.appGUID && p.processGUID == f.processGUID &&
		p.processType == f.processType && p.protocol == f.protocol &&
		p.availabilityZone == f.availabilityZone && p.isolationSegment == f.isolationSegment &&
		p.loadBalancing == f.loadBalancing && p.tagsMatch(f.tags, f.instanceID, f.instanceIndex)
}

func (p *profile) tagsMatch(tags map[string]string, instanceID, index string) bool {
	if len(tags) != len(p.static)+len(p.dynamic) {
		return false
	}
	for _, t := range p.static {
		if v, ok := tags[t.name]; !ok || v != t.value {
			return false
		}
	}
	for i, name := range p.dynamic {
		want := index
		if i < p.byInstanceID {
			want = instanceID
		}
		if v, ok := tags[name]; !ok || v != want {
			return false
		}
	}
	return true
}

// tags returns a new map with the instance's tags; nil for none.
func (p *profile) tags(instanceID, index string) map[string]string {
	n := len(p.static) + len(p.dynamic)
	if n == 0 {
		return nil
	}
	tags := make(map[string]string, n)
	for _, t := range p.static {
		tags[t.name] = t.value
	}
	p.setDynamic(tags, instanceID, index)
	return tags
}

// setDynamic sets the instance's own tags in tags.
func (p *profile) setDynamic(tags map[string]string, instanceID, index string) {
	for i, name := range p.dynamic {
		if i < p.byInstanceID {
			tags[name] = instanceID
		} else {
			tags[name] = index
		}
	}
}

// Tag kinds in a template.
const (
	tagStatic byte = iota + 1
	tagInstanceID
	tagIndex
)

func tagKind(value, instanceID, index string) byte {
	switch value {
	case instanceID:
		return tagInstanceID
	case index:
		return tagIndex
	}
	return tagStatic
}

// profileHash hashes the profile f gives. Tags are hashed one by one and
// added up, so the map's order does not matter.
func profileHash(f *fields) uint64 {
	h := uint64(fnvOffset)
	for _, s := range [...]string{f.appGUID, f.processGUID, f.processType, f.protocol,
		f.availabilityZone, f.isolationSegment, f.loadBalancing} {
		h = fnv1a(h, s)
		h = (h ^ 0xff) * fnvPrime // separator: no valid UTF-8 holds 0xff (a collision would only cost a comparison)
	}
	var tags uint64
	for name, value := range f.tags {
		kind := tagKind(value, f.instanceID, f.instanceIndex)
		t := (fnv1a(fnvOffset, name) ^ uint64(kind)) * fnvPrime
		if kind == tagStatic {
			t = fnv1a(t, value)
		}
		tags += t * fnvPrime
	}
	return h ^ tags
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv1a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// profiles hash-conses profiles.
type profiles map[uint64]*profile

// acquire returns the profile of f, shared when one exists, and counts the
// caller as a user. strs interns the strings of a new profile.
func (ps profiles) acquire(f *fields, strs *interner) *profile {
	hash := profileHash(f)
	for p := ps[hash]; p != nil; p = p.next {
		if p.matches(f) {
			p.refs++
			return p
		}
	}
	p := newProfile(f, strs)
	p.hash, p.refs, p.next = hash, 1, ps[hash]
	ps[hash] = p
	return p
}

func newProfile(f *fields, strs *interner) *profile {
	p := &profile{
		appGUID: strs.intern(f.appGUID), processGUID: strs.intern(f.processGUID),
		processType: strs.intern(f.processType), protocol: strs.intern(f.protocol),
		availabilityZone: strs.intern(f.availabilityZone), isolationSegment: strs.intern(f.isolationSegment),
		loadBalancing: strs.intern(f.loadBalancing),
	}
	dynamic := 0
	for _, value := range f.tags {
		if tagKind(value, f.instanceID, f.instanceIndex) != tagStatic {
			dynamic++
		}
	}
	if dynamic < len(f.tags) {
		p.static = make([]tagPair, 0, len(f.tags)-dynamic)
	}
	if dynamic > 0 {
		p.dynamic = make([]string, dynamic)
	}
	byIndex := dynamic
	for name, value := range f.tags {
		name = strs.intern(name)
		switch tagKind(value, f.instanceID, f.instanceIndex) {
		case tagInstanceID:
			p.dynamic[p.byInstanceID] = name
			p.byInstanceID++
		case tagIndex:
			byIndex--
			p.dynamic[byIndex] = name
		default:
			p.static = append(p.static, tagPair{name: name, value: strs.intern(value)})
		}
	}
	return p
}

// release drops one user of p and forgets p when it has none.
func (ps profiles) release(p *profile) {
	if p.refs--; p.refs > 0 {
		return
	}
	if ps[p.hash] == p {
		if p.next == nil {
			delete(ps, p.hash)
		} else {
			ps[p.hash] = p.next
		}
		return
	}
	for link := ps[p.hash]; link != nil; link = link.next {
		if link.next == p {
			link.next = p.next
			return
		}
	}
}
