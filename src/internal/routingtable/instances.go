package routingtable

import "code.cloudfoundry.org/cf-mesh/internal/source"

// instancePorts are the container ports of every internal Cloud Controller
// route's destinations, by host and app process. Service discovery
// registers each instance of an app mapped to the internal route
// `app.apps.internal` under `<index>.app.apps.internal` too, without a
// port: such a per-instance host is served on the port the app's
// destination of its parent route names, not on DefaultPort.
type instancePorts map[string]map[appProcess]uint32

type appProcess struct{ app, processType string }

func internalPorts(desired []source.DesiredRoute) instancePorts {
	out := instancePorts{}
	for _, d := range desired {
		if !d.Internal || d.Path != "" {
			continue
		}
		for _, dd := range d.Destinations {
			key := appProcess{dd.AppGUID, orDefault(dd.ProcessType, DefaultProcessType)}
			if dd.Port == 0 || out[d.Host][key] != 0 {
				continue // the first destination of an app process names its port
			}
			if out[d.Host] == nil {
				out[d.Host] = map[appProcess]uint32{}
			}
			out[d.Host][key] = dd.Port
		}
	}
	return out
}

// of is the container port of an endpoint of the NATS-only route host: its
// parent route's destination port for a per-instance host's internal
// endpoint, DefaultPort otherwise.
func (p instancePorts) of(host string, e source.Endpoint) uint32 {
	if !e.Internal {
		return DefaultPort
	}
	if parent, ok := InstanceParent(host); ok {
		if port, ok := p[parent][appProcess{e.AppGUID, orDefault(e.ProcessType, DefaultProcessType)}]; ok {
			return port
		}
	}
	return DefaultPort
}

// InstanceParent is the parent of a per-instance host `<index>.<parent>`
// (service discovery's name for one instance of the parent's app), and
// whether host is one.
func InstanceParent(host string) (string, bool) {
	for i := 0; i < len(host); i++ {
		switch c := host[i]; {
		case c == '.' && i > 0 && i < len(host)-1:
			return host[i+1:], true
		case c < '0' || c > '9':
			return "", false
		}
	}
	return "", false
}
