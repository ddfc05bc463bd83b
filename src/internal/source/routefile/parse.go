package routefile

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// file is the route file's top level.
type file struct {
	Routes []json.RawMessage `json:"routes"`
}

// fileRoute is one entry of `routes`.
type fileRoute struct {
	Host          string            `json:"host"`
	Path          string            `json:"path"`
	Internal      bool              `json:"internal"`
	LoadBalancing string            `json:"loadbalancing"`
	Annotations   map[string]string `json:"annotations"`
	Destinations  []fileDestination `json:"destinations"`
}

// fileDestination is one entry of a route's `destinations`.
type fileDestination struct {
	AppGUID     string `json:"app_guid"`
	ProcessGUID string `json:"process_guid"`
	ProcessType string `json:"process_type"`
	Port        *int   `json:"port"`
	Protocol    string `json:"protocol"`
	Weight      *int   `json:"weight"`
}

// Parse reads a route file. It returns the routes sorted by Host, then Path,
// or an error listing every problem the file has (joined with errors.Join,
// one line each); it never returns a partial result.
func Parse(data []byte) (source.DesiredRoutes, error) {
	doc, err := yaml.YAMLToJSON(data)
	if err != nil {
		return source.DesiredRoutes{}, fmt.Errorf("route file is not valid YAML: %w", err)
	}
	var f file
	if err := decodeStrict(doc, &f); err != nil {
		return source.DesiredRoutes{}, fmt.Errorf("route file must be a mapping with a `routes` list: %w", err)
	}
	out := source.DesiredRoutes{Routes: make([]source.DesiredRoute, 0, len(f.Routes))}
	var problems []error
	firstIndex := map[string]int{}
	for i, raw := range f.Routes {
		route, routeProblems := parseRoute(i, raw)
		if len(routeProblems) > 0 {
			problems = append(problems, routeProblems...)
			continue
		}
		if first, dup := firstIndex[route.URI()]; dup {
			problems = append(problems, fmt.Errorf("%s: duplicate of routes[%d] (same host and path)", label(i, route.Host), first))
			continue
		}
		firstIndex[route.URI()] = i
		out.Routes = append(out.Routes, route)
	}
	if len(problems) > 0 {
		return source.DesiredRoutes{}, errors.Join(problems...)
	}
	slices.SortFunc(out.Routes, func(a, b source.DesiredRoute) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), cmp.Compare(a.Path, b.Path))
	})
	return out, nil
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the first document")
	}
	return nil
}

// label names a route in an error: `routes[i] (host)`, or `routes[i]` when
// the host is not known.
func label(i int, host string) string {
	if host == "" {
		return fmt.Sprintf("routes[%d]", i)
	}
	return fmt.Sprintf("routes[%d] (%s)", i, host)
}

// parseRoute decodes and checks one route entry, returning every problem it
// has, each labelled with the route's index and host.
func parseRoute(i int, raw json.RawMessage) (source.DesiredRoute, []error) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return source.DesiredRoute{}, []error{fmt.Errorf("%s: entry is empty", label(i, ""))}
	}
	var r fileRoute
	if err := decodeStrict(raw, &r); err != nil {
		return source.DesiredRoute{}, []error{fmt.Errorf("%s: %w", label(i, hostOf(raw)), err)}
	}
	r.Host = strings.ToLower(r.Host)
	var problems []error
	for _, p := range checkRoute(r) {
		problems = append(problems, fmt.Errorf("%s: %s", label(i, r.Host), p))
	}
	if len(problems) > 0 {
		return source.DesiredRoute{}, problems
	}
	return desiredRoute(r), nil
}

// hostOf digs the host out of a route entry that failed strict decoding, so
// the error can still name it; empty when there is none.
func hostOf(raw json.RawMessage) string {
	var r struct {
		Host any `json:"host"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return ""
	}
	host, _ := r.Host.(string)
	return strings.ToLower(host)
}

func desiredRoute(r fileRoute) source.DesiredRoute {
	route := source.DesiredRoute{
		Host:          r.Host,
		Path:          r.Path,
		Internal:      r.Internal,
		LoadBalancing: r.LoadBalancing,
	}
	if len(r.Annotations) > 0 {
		route.Annotations = r.Annotations
	}
	for _, d := range r.Destinations {
		route.Destinations = append(route.Destinations, desiredDestination(d))
	}
	return route
}

func desiredDestination(d fileDestination) source.DesiredDestination {
	dest := source.DesiredDestination{
		AppGUID:     d.AppGUID,
		ProcessGUID: d.ProcessGUID,
		ProcessType: cmp.Or(d.ProcessType, cloudcontroller.DefaultProcessType),
		Port:        cloudcontroller.DefaultPort,
		Protocol:    cmp.Or(d.Protocol, cloudcontroller.DefaultProtocol),
	}
	if d.Port != nil {
		dest.Port = uint32(*d.Port)
	}
	if d.Weight != nil {
		w := int32(*d.Weight)
		dest.Weight = &w
	}
	return dest
}
