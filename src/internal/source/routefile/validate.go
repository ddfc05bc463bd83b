package routefile

import (
	"fmt"
	"slices"
	"strings"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// loadBalancingAlgorithms are the values `loadbalancing` may take, as
// gorouter and Cloud Controller know them.
var loadBalancingAlgorithms = []string{"round-robin", "least-connection", "hash"}

// protocols are the values a destination's `protocol` may take.
var protocols = []string{"http1", "http2"}

// Limits on host names (RFC 1035) that Cloud Controller also applies.
const (
	maxHostLength  = 253
	maxLabelLength = 63
)

// checkRoute lists every problem of one (already lower-cased) route.
func checkRoute(r fileRoute) []string {
	var problems []string
	if p := checkHost(r.Host); p != "" {
		problems = append(problems, p)
	}
	if p := checkPath(r.Path); p != "" {
		problems = append(problems, p)
	}
	if r.LoadBalancing != "" && !slices.Contains(loadBalancingAlgorithms, r.LoadBalancing) {
		problems = append(problems, fmt.Sprintf("loadbalancing %q must be one of %s", r.LoadBalancing, strings.Join(loadBalancingAlgorithms, ", ")))
	}
	weights := make([]*int, len(r.Destinations))
	for i, d := range r.Destinations {
		for _, p := range checkDestination(d) {
			problems = append(problems, fmt.Sprintf("destinations[%d]: %s", i, p))
		}
		weights[i] = d.Weight
	}
	if err := cloudcontroller.ValidateWeights(weights); err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// checkHost accepts a fully qualified host of DNS labels (letters, digits,
// `-`, `_`), whose first label may be the wildcard `*`.
func checkHost(host string) string {
	if host == "" {
		return "host is required"
	}
	if len(host) > maxHostLength {
		return fmt.Sprintf("host is %d characters long, at most %d are allowed", len(host), maxHostLength)
	}
	for i, l := range strings.Split(host, ".") {
		switch {
		case l == "":
			return fmt.Sprintf("host %q has an empty label", host)
		case l == "*" && i == 0:
		case len(l) > maxLabelLength:
			return fmt.Sprintf("host %q has a label longer than %d characters", host, maxLabelLength)
		case strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "":
			return fmt.Sprintf("host %q may contain only letters, digits, '-', '_' and a leading '*.'", host)
		}
	}
	return ""
}

// checkPath accepts an empty path or a context path like `/v1/api`.
func checkPath(path string) string {
	switch {
	case path == "":
		return ""
	case !strings.HasPrefix(path, "/"):
		return fmt.Sprintf("path %q must start with '/'", path)
	case strings.HasSuffix(path, "/"):
		return fmt.Sprintf("path %q must not end with '/'", path)
	case strings.ContainsAny(path, "?# \t\r\n"):
		return fmt.Sprintf("path %q must not contain '?', '#' or white space", path)
	}
	return ""
}

func checkDestination(d fileDestination) []string {
	var problems []string
	if d.AppGUID == "" {
		problems = append(problems, "app_guid is required")
	}
	if d.Port != nil && (*d.Port < 1 || *d.Port > 65535) {
		problems = append(problems, fmt.Sprintf("port %d must be between 1 and 65535", *d.Port))
	}
	if d.Protocol != "" && !slices.Contains(protocols, d.Protocol) {
		problems = append(problems, fmt.Sprintf("protocol %q must be one of %s", d.Protocol, strings.Join(protocols, ", ")))
	}
	return problems
}
