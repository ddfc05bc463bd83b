package testbed

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/launch"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/meshapp"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/policyserver"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy/policypoller"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// MeshContainerIP is the one "container IP" of the app-to-app mesh (issue
// 5). A cell's pilot serves a container only from the IP its node ID
// names, and grpc-go's xDS clients cannot choose their source address, so
// every mesh app and caller lives on 127.0.0.1. It is the copilot's whole
// container network: callers from any other address (the gateway, the
// other scenarios' instances on 127.x.y.z) are outside it, as gateways and
// gorouter are on Diego.
const MeshContainerIP = "127.0.0.1"

// meshContainerNetwork is the copilot's mesh.container_network.
const meshContainerNetwork = MeshContainerIP + "/32"

// policyPollInterval keeps policy changes quick to arrive; production
// polls every 5s.
const policyPollInterval = 200 * time.Millisecond

// startPolicyServer starts cf-networking's policy server stand-in with a
// client CA of its own and returns what the copilot's network_policies
// section names; the instance identity CA is made here too.
func (f *Foundation) startPolicyServer() (*policypoller.Config, error) {
	certs := filepath.Join(f.opts.WorkDir, "certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		return nil, err
	}
	clientCA, err := pki.NewCA("network policy CA")
	if err != nil {
		return nil, err
	}
	client, err := clientCA.WriteFiles(certs, "copilot-policy-client")
	if err != nil {
		return nil, err
	}
	if f.policies, err = policyserver.Start(policyserver.Options{ClientCAPEM: clientCA.PEM}); err != nil {
		return nil, fmt.Errorf("policy server: %w", err)
	}
	client.CAFile = filepath.Join(certs, "policy-server-ca.crt")
	if err := os.WriteFile(client.CAFile, f.policies.CAPEM(), 0o600); err != nil {
		return nil, err
	}
	if f.identityCA, err = pki.NewCA("instance identity CA"); err != nil {
		return nil, err
	}
	f.identityCAFile = filepath.Join(certs, "instance-identity-ca.crt")
	if err := os.WriteFile(f.identityCAFile, f.identityCA.PEM, 0o600); err != nil {
		return nil, err
	}
	f.logger.Info("policy-server-started", lager.Data{"url": f.policies.URL()})
	return &policypoller.Config{
		Address: f.policies.URL(), TLS: tlsconfig.Files{CertFile: client.CertFile, KeyFile: client.KeyFile, CAFile: client.CAFile},
		PollInterval: jsonduration.Duration(policyPollInterval),
	}, nil
}

// PolicyServer is cf-networking's policy server stand-in the copilot
// polls: AddPolicy and RemovePolicy are `cf add-network-policy` and
// `cf remove-network-policy`.
func (f *Foundation) PolicyServer() *policyserver.Server { return f.policies }

// MeshPilot is a cell's pilot (enable-sidecar-proxying and enable-app-mtls):
// it follows the same copilot and serves container proxies and proxyless
// gRPC apps on its containers listener, internal routes in mutual TLS under
// policy.
type MeshPilot struct {
	*Process
	// ContainersAddress is the cell's `containers.proxy.ads_addresses`.
	ContainersAddress string
	// XDSAddress is its plaintext control-plane listener, where probes
	// see what it serves.
	XDSAddress string
}

// StartMeshPilot starts a cell's pilot with mesh mutual TLS; it runs until
// Stop (its own or the foundation's).
func (f *Foundation) StartMeshPilot(ctx context.Context) (*MeshPilot, error) {
	var containers, xds, status string
	for _, addr := range []*string{&containers, &xds, &status} {
		a, err := launch.FreeAddress()
		if err != nil {
			return nil, err
		}
		*addr = a
	}
	cfg := f.pilotConfig(f.pilotClientTLS, f.gatewaySecrets)
	cfg.XDS.ListenAddress, cfg.StatusAddress = xds, status
	cfg.Containers.ListenAddress = containers
	cfg.Mesh = pilot.MeshConfig{MTLS: true, InstanceIdentityCAFile: f.identityCAFile}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return nil, fmt.Errorf("cell pilot configuration: %w", err)
	}
	path := filepath.Join(f.opts.WorkDir, "cell-pilot.json")
	if err := launch.WriteJSON(path, cfg); err != nil {
		return nil, err
	}
	p := newProcess("cell-pilot", filepath.Join(f.opts.BinDir, "pilot"), path, status,
		filepath.Join(f.opts.WorkDir, "cell-pilot.log"), f.opts.ReadyTimeout, f.logger)
	f.mu.Lock()
	f.meshPilots = append(f.meshPilots, p)
	f.mu.Unlock()
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	return &MeshPilot{Process: p, ContainersAddress: containers, XDSAddress: xds}, nil
}

// MeshIdentity issues an instance identity of app with Diego's subject
// and key usages (on MeshContainerIP) and the given DNS SANs: for a callee
// every internal route it serves. Callers get none: grpc-go matches a
// caller's principal on its first non-empty SANs, else its subject, so
// Diego's SANs (instance GUID, container IP) would hide the app OU that
// policies name (ADR 13).
func (f *Foundation) MeshIdentity(app *App, instanceGUID string, sans ...string) (meshapp.Identity, error) {
	cert, key, err := f.identityCA.IssueInstanceIdentity(pki.InstanceIdentity{
		InstanceGUID: instanceGUID, AppGUID: app.GUID, SpaceGUID: cloudcontroller.DefaultSpaceGUID,
		OrganizationGUID: cloudcontroller.DefaultOrganizationGUID, DNSNames: sans,
	})
	if err != nil {
		return meshapp.Identity{}, fmt.Errorf("instance identity of %s: %w", app.Name, err)
	}
	dir := filepath.Join(f.opts.WorkDir, "identities")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return meshapp.Identity{}, err
	}
	return meshapp.WriteIdentity(dir, MeshContainerIP, instanceGUID, cert, key, f.identityCA.PEM)
}

// MeshServer is an app instance of the mesh: a proxyless gRPC server that
// takes its listener, mutual TLS and authorization from a cell's pilot.
type MeshServer struct {
	// Port is its container port on MeshContainerIP, the port of its
	// route's destination (and of network policies to it).
	Port int

	server       *meshapp.Server
	registration routeemitter.Message
	emitter      *routeemitter.Emitter
}

// Stop has route-emitter unregister the instance and stops the server.
func (s *MeshServer) Stop() {
	s.emitter.UnregisterInternal(s.registration)
	s.server.Stop()
}

// ServeMesh maps an internal route to app on a container port of its own
// with protocol http2, waits until the copilot has read it, registers the
// instance over service discovery, waits until the cell's pilot serves the
// instance as the route's endpoint, then serves it through that pilot with
// an identity whose SANs name the route.
//
// Decision: the server starts only once the cell's pilot knows its
// workload, so the scenario measures policy, not registration. (A server
// that asks earlier waits as a pending listener and is served when the
// registration arrives: the pilot's xdsserver tests show that.)
func (f *Foundation) ServeMesh(ctx context.Context, cell *MeshPilot, route Route, app *App, instanceGUID string) (*MeshServer, error) {
	if !route.Internal {
		return nil, fmt.Errorf("serving %s in the mesh: not an internal route", route.URI())
	}
	lis, err := net.Listen("tcp", net.JoinHostPort(MeshContainerIP, "0"))
	if err != nil {
		return nil, err
	}
	port := lis.Addr().(*net.TCPAddr).Port
	dest := cloudcontroller.Destination{AppGUID: app.GUID, Port: port, Protocol: "http2"}
	if err := f.cc.InsertDestinations(route.GUID, []cloudcontroller.Destination{dest}); err != nil {
		lis.Close()
		return nil, fmt.Errorf("mapping %s: %w", route.URI(), err)
	}
	if err := f.awaitMapping(ctx, route, []string{app.GUID}); err != nil {
		lis.Close()
		return nil, err
	}
	reg := routeemitter.NewInternalRouteMessage(routeemitter.AppInstance{
		ContainerIP: MeshContainerIP, AppGUID: app.GUID, AppName: app.Name, ProcessGUID: app.ProcessGUID, InstanceGUID: instanceGUID,
	}, route.Host)
	f.emitter.RegisterInternal(reg)
	server, err := f.serveMeshInstance(ctx, cell, route, app, instanceGUID, lis)
	if err != nil {
		f.emitter.UnregisterInternal(reg)
		lis.Close()
		return nil, err
	}
	f.logger.Info("mesh-app-serving", lager.Data{"app": app.Name, "route": route.Host, "port": port})
	return &MeshServer{Port: port, server: server, registration: reg, emitter: f.emitter}, nil
}

func (f *Foundation) serveMeshInstance(ctx context.Context, cell *MeshPilot, route Route, app *App, instanceGUID string, lis net.Listener) (*meshapp.Server, error) {
	if err := awaitEndpoint(ctx, cell.XDSAddress, route.Host, f.opts.ReadyTimeout); err != nil {
		return nil, err
	}
	id, err := f.MeshIdentity(app, instanceGUID, route.Host)
	if err != nil {
		return nil, err
	}
	return meshapp.Serve(cell.ContainersAddress, id, app.Name+"/0", lis)
}

// awaitEndpoint follows a pilot as a mesh client of host until it serves
// the host an endpoint.
func awaitEndpoint(ctx context.Context, xdsAddress, host string, timeout time.Duration) error {
	w := Watch(xdsAddress, MeshNode("await-"+host), host)
	defer w.Stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for w.Latest()[resourcev3.EndpointType].Endpoints == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: the pilot at %s serves no endpoint for it (%w)", host, xdsAddress, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
