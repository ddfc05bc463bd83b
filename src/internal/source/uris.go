package source

import (
	"sort"
	"strings"
)

// URIHost is a route URI's host: `host[/path]` without the path.
func URIHost(uri string) string {
	host, _, _ := strings.Cut(uri, "/")
	return host
}

// EachURIOfHost calls fn with the index of every URI of host (`host` and
// `host/<path>`) among n URIs sorted by uriAt, found by binary search.
// They are two runs, not one: `host.other` sorts between `host` and
// `host/<path>`.
func EachURIOfHost(n int, uriAt func(i int) string, host string, fn func(i int)) {
	for _, prefix := range []string{host, host + "/"} {
		i := sort.Search(n, func(i int) bool { return uriAt(i) >= prefix })
		for ; i < n && strings.HasPrefix(uriAt(i), prefix); i++ {
			if prefix == host && uriAt(i) != host {
				break
			}
			fn(i)
		}
	}
}
