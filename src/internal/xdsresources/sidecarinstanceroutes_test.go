package xdsresources_test

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	headertometadatav3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_to_metadata/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// This file follows a request through a sidecar's outbound route
// configuration the way Envoy's documentation describes it, since no Envoy
// runs here: the virtual host by domain (exact, then the longest `*.`
// suffix, then `*`), the first route whose path prefix and headers match
// (a safe_regex matches the whole value), the request metadata a route's
// header-to-metadata rule writes (the regex rewrite replaces every match;
// an empty result writes nothing), merged over the route's metadata match,
// and the subset load balancer: no `envoy.lb` keys balance over every
// endpoint, keys select the endpoints labelled alike or none (NO_FALLBACK).

const passthrough = "passthrough"

// routedEndpoints is where a sidecar of ledger sends a request for
// authority on port: `address:port` of every endpoint it may pick, or
// passthrough.
func routedEndpoints(res xdsresources.Resources, port, authority string) []string {
	rc := outboundRoutes(res)[port]
	vh := virtualHostFor(rc, authority)
	Expect(vh).NotTo(BeNil(), "the allow_any virtual host takes what no other does")
	for _, r := range vh.GetRoutes() {
		if !strings.HasPrefix("/", r.GetMatch().GetPrefix()) || !headersMatch(r.GetMatch().GetHeaders(), authority) {
			continue
		}
		if r.GetRoute().GetCluster() == xdsresources.PassthroughCluster {
			return []string{passthrough}
		}
		return routeEndpoints(res, r, authority)
	}
	return nil
}

// routeEndpoints are the endpoints a route may pick: of its cluster, or of
// every weighted cluster, each under its own metadata match.
func routeEndpoints(res xdsresources.Resources, r *routev3.Route, authority string) []string {
	action := r.GetRoute()
	type target struct {
		cluster string
		match   *corev3.Metadata
	}
	targets := []target{{action.GetCluster(), action.GetMetadataMatch()}}
	if wcs := action.GetWeightedClusters().GetClusters(); len(wcs) > 0 {
		targets = nil
		for _, wc := range wcs {
			targets = append(targets, target{wc.GetName(), wc.GetMetadataMatch()})
		}
	}
	out := []string{}
	for _, t := range targets {
		match := lbFields(t.match)
		for key, value := range requestMetadata(r, authority) {
			match[key] = value
		}
		out = append(out, subsetEndpoints(res, t.cluster, match)...)
	}
	return out
}

func virtualHostFor(rc *routev3.RouteConfiguration, authority string) *routev3.VirtualHost {
	var best *routev3.VirtualHost
	bestSuffix := -1
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.GetDomains() {
			switch {
			case d == authority:
				return vh
			case d == "*" && bestSuffix < 0:
				best, bestSuffix = vh, 0
			case strings.HasPrefix(d, "*.") && len(authority) > len(d)-1 && strings.HasSuffix(authority, d[1:]) && len(d) > bestSuffix:
				best, bestSuffix = vh, len(d)
			}
		}
	}
	return best
}

func headersMatch(headers []*routev3.HeaderMatcher, authority string) bool {
	for _, h := range headers {
		Expect(h.GetName()).To(Equal(":authority"))
		if regex := h.GetStringMatch().GetSafeRegex().GetRegex(); regex != "" {
			if !regexp.MustCompile(`^(?:` + regex + `)$`).MatchString(authority) {
				return false
			}
		} else if h.GetStringMatch().GetExact() != authority {
			return false
		}
	}
	return true
}

func lbFields(m *corev3.Metadata) map[string]string {
	out := map[string]string{}
	for key, value := range m.GetFilterMetadata()["envoy.lb"].GetFields() {
		out[key] = value.GetStringValue()
	}
	return out
}

// requestMetadata is what the route's header-to-metadata rules write into
// envoy.lb for a request with authority.
func requestMetadata(r *routev3.Route, authority string) map[string]string {
	out := map[string]string{}
	typed, ok := r.GetTypedPerFilterConfig()["envoy.filters.http.header_to_metadata"]
	if !ok {
		return out
	}
	config := &headertometadatav3.Config{}
	Expect(typed.UnmarshalTo(config)).To(Succeed())
	for _, rule := range config.GetRequestRules() {
		Expect(rule.GetHeader()).To(Equal(":authority"))
		kv := rule.GetOnHeaderPresent()
		Expect(kv.GetType()).To(Equal(headertometadatav3.Config_STRING), "the endpoints' labels are strings")
		rewrite := kv.GetRegexValueRewrite()
		value := regexp.MustCompile(rewrite.GetPattern().GetRegex()).
			ReplaceAllString(authority, strings.ReplaceAll(rewrite.GetSubstitution(), `\1`, `${1}`))
		if kv.GetMetadataNamespace() == "envoy.lb" && value != "" {
			out[kv.GetKey()] = value
		}
	}
	return out
}

func subsetEndpoints(res xdsresources.Resources, cluster string, match map[string]string) []string {
	Expect(res.SidecarClusters).To(HaveKey(cluster))
	out := []string{}
	for _, locality := range res.SidecarEndpoints[cluster].GetEndpoints() {
		for _, lb := range locality.GetLbEndpoints() {
			labels := lbFields(lb.GetMetadata())
			if len(match) > 0 && !labelledAlike(labels, match) {
				continue
			}
			sa := lb.GetEndpoint().GetAddress().GetSocketAddress()
			out = append(out, fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue()))
		}
	}
	return out
}

// labelledAlike is true when every key of match is labelled alike (the
// only selector has one key, so alike labels are equal maps).
func labelledAlike(labels, match map[string]string) bool {
	for key, value := range match {
		if labels[key] != value {
			return false
		}
	}
	return true
}

var _ = DescribeTable("a sidecar's request for an internal host reaches (ADR 19, one wildcard virtual host per app)",
	func(authority string, want []string) {
		res, errs := xdsresources.Translate(withInstance(loadIR(perInstanceCase), 3, "10.255.1.4"), loadOptions(perInstanceCase))
		Expect(errs).To(BeEmpty())
		got := routedEndpoints(res, "8080", authority)
		slices.SortFunc(got, cmp.Compare)
		Expect(got).To(Equal(want))
	},
	Entry("an instance, through *.backend", "3.backend.apps.internal", []string{"10.255.1.4:8080"}),
	Entry("an instance, with the port", "1.backend.apps.internal:8080", []string{"10.255.1.2:8080"}),
	Entry("the app: every instance", "backend.apps.internal", []string{"10.255.1.1:8080", "10.255.1.2:8080", "10.255.1.3:8080", "10.255.1.4:8080"}),
	Entry("an instance there is not: none (503), never another", "7.backend.apps.internal", []string{}),
	Entry("a name under the app that is no instance: through", "v2.backend.apps.internal", []string{passthrough}),
	Entry("an instance of an instance: through", "1.3.backend.apps.internal", []string{passthrough}),
	Entry("an instance of one app behind a shared route, through *.search", "1.search.apps.internal", []string{"10.255.2.2:8080"}),
	Entry("an index both apps behind search have keeps its own virtual host, split by weight", "0.search.apps.internal:8080", []string{"10.255.2.1:8080", "10.255.3.1:8080"}),
	Entry("an instance whose app serves another port keeps its own cluster", "0.ledger.apps.internal", []string{"10.255.4.1:8080"}),
)

var _ = It("keeps the virtual host of an instance of a wildcard host: *.*.host is no domain Envoy accepts", func() {
	ir := smallIR([]hostSpec{
		{"*.a.apps.internal", 8080, []string{"10.0.0.1:8080", "10.0.0.2:8080"}},
		{"1.*.a.apps.internal", 8080, []string{"10.0.0.2:8080"}},
		{"b.apps.internal", 8080, []string{"10.0.0.3:8080"}},
	})
	ir.Workloads.ByContainerIP = map[string]string{"10.255.4.1": "app-ledger"}
	res, errs := xdsresources.Translate(ir, xdsresources.Options{})
	Expect(res.SidecarClusters).NotTo(HaveKey(envoyir.ClusterName(8080, "", "1.*.a.apps.internal")), "folded")
	Expect(errs).To(BeEmpty())
	node, err := xdsresources.ParseNodeID(callerOfOther)
	Expect(err).NotTo(HaveOccurred())
	own, err := res.Sidecar(node)
	Expect(err).NotTo(HaveOccurred())
	var domains []string
	for _, vh := range own.Routes["8080"].GetVirtualHosts() {
		domains = append(domains, vh.GetDomains()...)
	}
	Expect(domains).To(ContainElement("1.*.a.apps.internal"))
	Expect(domains).NotTo(ContainElement(HavePrefix("*.*")))
})
