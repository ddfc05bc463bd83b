package routeregistry

import "strings"

// interner makes equal strings of the table share one copy: app, process
// and instance GUIDs, cell IPs and tag names recur across endpoints, and
// every decoded message brings its own copies.
//
// Strings stay in it after the last endpoint using them is gone, so the
// table sweeps it (keeps only what live endpoints use) whenever it has grown
// to twice what the last sweep kept: memory stays within twice the live set
// and the sweeps cost O(1) amortised per insertion.
type interner struct {
	strings map[string]string
	// kept is how many strings the last sweep kept.
	kept int
}

// minSweep keeps small tables from sweeping all the time.
const minSweep = 4096

// intern returns the table's copy of s, making one when there is none. The
// copy matters: a decoded registration's strings share the memory of the
// whole payload, which the table must not keep alive.
func (in *interner) intern(s string) string {
	if s == "" {
		return ""
	}
	if shared, ok := in.strings[s]; ok {
		return shared
	}
	if in.strings == nil {
		in.strings = map[string]string{}
	}
	s = strings.Clone(s)
	in.strings[s] = s
	return s
}

func (in *interner) needsSweep() bool {
	return len(in.strings) > 2*in.kept+minSweep
}

// sweepStrings rebuilds the interner from the strings live endpoints and
// profiles use.
func (t *Table) sweepStrings() {
	fresh := interner{strings: make(map[string]string, t.strings.kept)}
	for key, e := range t.endpoints {
		fresh.intern(key.uri)
		fresh.intern(key.address)
		fresh.intern(e.instanceIndex)
	}
	for _, first := range t.profiles {
		for p := first; p != nil; p = p.next {
			for _, s := range [...]string{p.appGUID, p.processGUID, p.processType, p.protocol,
				p.availabilityZone, p.isolationSegment, p.loadBalancing} {
				fresh.intern(s)
			}
			for _, tag := range p.static {
				fresh.intern(tag.name)
				fresh.intern(tag.value)
			}
			for _, name := range p.dynamic {
				fresh.intern(name)
			}
		}
	}
	fresh.kept = len(fresh.strings)
	t.strings = fresh
}
