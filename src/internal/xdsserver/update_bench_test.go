package xdsserver_test

import (
	"fmt"
	"testing"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

// BenchmarkUpdate applies a translation in which one load assignment
// changed, the pilot's work for one endpoint change (docs/performance.md,
// "Scale"), comparing resources by digest (the memo) and, side by side,
// by proto.Equal:
//
//	go test -run '^$' -bench Update -benchtime 10x ./internal/xdsserver
func BenchmarkUpdate(b *testing.B) {
	for _, c := range []struct {
		compare string
		hosts   int
	}{{"digest", 1000}, {"proto.Equal", 1000}, {"digest", 10000}, {"proto.Equal", 10000}} {
		hosts := c.hosts
		b.Run(fmt.Sprintf("hosts=%d,endpoints=%d,compare=%s", hosts, 10*hosts, c.compare), func(b *testing.B) {
			translate := func(ir envoyir.IR) xdsresources.Resources {
				res, errs := xdsresources.Translate(ir, xdsresources.Options{})
				if len(errs) > 0 {
					b.Fatal(errs)
				}
				return res
			}
			base := scaleIR(hosts, 0)
			versions := []xdsresources.Resources{translate(base), translate(scaleIR(hosts, 1))}
			s := xdsserver.New(lager.NewLogger("bench"), nil, "bench")
			if c.compare == "proto.Equal" {
				xdsserver.CompareWithProtoEqual(s)
			}
			if err := s.Update(versions[0]); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				next := translate(scaleIR(hosts, (i+1)%2)) // fresh messages, as each translation makes
				b.StartTimer()
				if err := s.Update(next); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// scaleIR is hosts hosts of 10 endpoints each; variant moves one endpoint
// of the first host.
func scaleIR(hosts, variant int) envoyir.IR {
	var ir envoyir.IR
	var vhosts []envoyir.VirtualHost
	for h := range hosts {
		name := fmt.Sprintf("app-%05d.apps.example.com", h)
		cluster := envoyir.ClusterName(8080, fmt.Sprintf("process-%05d", h), name)
		vh := envoyir.VirtualHost{Name: name, ServicePorts: []uint32{8080}, Routes: []envoyir.Route{{
			Name: fmt.Sprintf("route-%05d", h), PathPrefix: "/", Clusters: []envoyir.WeightedCluster{{Cluster: cluster, Weight: 100}},
		}}}
		vhosts = append(vhosts, vh)
		ir.MeshHosts = append(ir.MeshHosts, vh)
		ir.Clusters = append(ir.Clusters, envoyir.Cluster{Name: cluster, Host: name, Port: 8080, Subset: fmt.Sprintf("process-%05d", h), LoadBalancing: envoyir.RoundRobin})
		la := envoyir.LoadAssignment{Cluster: cluster}
		for e := range 10 {
			port := uint32(61000 + 2*e)
			if h == 0 && e == 0 {
				port += uint32(100 * variant)
			}
			la.Endpoints = append(la.Endpoints, envoyir.Endpoint{Address: fmt.Sprintf("10.0.%d.%d", h%250, e+1), Port: port, TLSPort: port + 1,
				SAN: fmt.Sprintf("instance-%05d-%d", h, e)})
		}
		ir.LoadAssignments = append(ir.LoadAssignments, la)
	}
	ir.GatewayListeners = []envoyir.GatewayListener{{Port: 80, Servers: []envoyir.GatewayServer{{RouteName: "http.80", VirtualHosts: vhosts}}}}
	return ir
}
