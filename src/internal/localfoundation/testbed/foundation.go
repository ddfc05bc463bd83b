package testbed

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"

	cfclient "github.com/cloudfoundry/go-cfclient/v3/client"
	cfconfig "github.com/cloudfoundry/go-cfclient/v3/config"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/launch"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/policyserver"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// Foundation is a running local foundation.
type Foundation struct {
	opts   Options
	logger lager.Logger
	ports  ports

	cc                         *cloudcontroller.CloudController
	ccServer                   *httptest.Server
	appsDomain, internalDomain string // GUIDs
	nats                       *NATS
	emitter                    *routeemitter.Emitter
	stopEmitter                func()
	copilot, pilot             *Process
	gateway                    *Gateway
	gatewaySkipped             string
	frontendCA                 *pki.CA
	containerPort              uint32
	stopOnce                   sync.Once

	// The app-to-app mesh (mesh.go): cf-networking's policy server, the
	// instance identity CA, and what a cell's pilot reuses of the pilot's
	// configuration.
	policies       *policyserver.Server
	identityCA     *pki.CA
	identityCAFile string
	pilotClientTLS tlsconfig.Files
	gatewaySecrets string

	mu     sync.Mutex
	nextIP int
	apps   []*App
	faults []*Fault
	// meshPilots are the cells' pilots StartMeshPilot started.
	meshPilots []*Process
}

// Start builds nothing (see Build) and starts, in order: NATS, the Cloud
// Controller stand-in, the route-emitter simulator, the copilot, the pilot
// and, when Envoy is available, the gateway. It returns once the pilot is
// ready. On error, whatever started is stopped again.
func Start(ctx context.Context, o Options) (*Foundation, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("local foundation options: %w", err)
	}
	if err := os.MkdirAll(o.WorkDir, 0o755); err != nil {
		return nil, err
	}
	f := &Foundation{opts: o, logger: o.Logger.Session("testbed"), nextIP: firstContainerIP()}
	if err := f.start(ctx); err != nil {
		f.Stop()
		return nil, err
	}
	return f, nil
}

func (f *Foundation) start(ctx context.Context) error {
	var err error
	if f.ports, err = allocatePorts(); err != nil {
		return err
	}
	if f.containerPort, err = f.pickContainerPort(); err != nil {
		return err
	}
	if f.nats, err = StartNATS(f.logger); err != nil {
		return err
	}
	f.startCloudController()
	if err := f.startEmitter(); err != nil {
		return err
	}
	policies, err := f.startPolicyServer()
	if err != nil {
		return err
	}
	configs, err := f.writeConfigs(f.ccServer.URL, f.nats.URL(), policies)
	if err != nil {
		return err
	}
	f.frontendCA = configs.frontendCA
	bin := func(name string) string { return filepath.Join(f.opts.BinDir, name) }
	logPath := func(name string) string { return filepath.Join(f.opts.WorkDir, name+".log") }
	f.copilot = newProcess("copilot", bin("copilot"), configs.copilotPath, f.ports.copilotStatus, logPath("copilot"), f.opts.ReadyTimeout, f.logger)
	f.pilot = newProcess("pilot", bin("pilot"), configs.pilotPath, f.ports.pilotStatus, logPath("pilot"), f.opts.ReadyTimeout, f.logger)
	if err := f.copilot.Start(ctx); err != nil {
		return err
	}
	if err := f.pilot.Start(ctx); err != nil {
		return err
	}
	return f.startGateway(ctx, configs.gatewaySecrets)
}

func (f *Foundation) startCloudController() {
	f.cc = cloudcontroller.New(cloudcontroller.Options{})
	f.ccServer = httptest.NewServer(f.cc)
	f.cc.SetBaseURL(f.ccServer.URL)
	f.appsDomain = f.cc.AddDomain(f.opts.AppsDomain, false)
	f.internalDomain = f.cc.AddDomain(f.opts.InternalDomain, true)
	f.logger.Info("cloud-controller-started", lager.Data{"url": f.ccServer.URL})
}

func (f *Foundation) startEmitter() error {
	logFile, err := os.Create(filepath.Join(f.opts.WorkDir, "route-emitter.log"))
	if err != nil {
		return err
	}
	logger, err := lifecycle.NewLogger("route-emitter", "info", logFile)
	if err != nil {
		logFile.Close()
		return err
	}
	f.emitter = routeemitter.New(f.nats.URL(), logger, routeemitter.Options{EmitInternalRoutes: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer logFile.Close()
		if err := f.emitter.Run(ctx); err != nil {
			f.logger.Error("route-emitter-stopped", err)
		}
	}()
	f.stopEmitter = func() { cancel(); <-done }
	return nil
}

// Stop ends running faults and stops everything in reverse order of
// starting: gateway, cells' pilots, pilot, copilot, route-emitter, app
// instances, NATS, Cloud Controller and the policy server. Calling it again does nothing.
func (f *Foundation) Stop() {
	f.stopOnce.Do(func() {
		f.mu.Lock()
		faults, meshPilots := f.faults, f.meshPilots
		f.mu.Unlock()
		for _, fault := range faults {
			fault.End()
		}
		if f.gateway != nil {
			f.gateway.stop()
		}
		for _, p := range append(meshPilots, f.pilot, f.copilot) {
			if p != nil {
				if err := p.Stop(); err != nil {
					f.logger.Error("process-stop-failed", err)
				}
			}
		}
		if f.stopEmitter != nil {
			f.stopEmitter()
		}
		f.stopInstances()
		if f.nats != nil {
			f.nats.Stop()
		}
		if f.ccServer != nil {
			f.ccServer.Close()
		}
		if f.policies != nil {
			f.policies.Close()
		}
		f.logger.Info("stopped")
	})
}

func (f *Foundation) track(fault *Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault)
}

// Copilot is the copilot process.
func (f *Foundation) Copilot() *Process { return f.copilot }

// Pilot is the pilot process.
func (f *Foundation) Pilot() *Process { return f.pilot }

// NATS is the embedded NATS server.
func (f *Foundation) NATS() *NATS { return f.nats }

// CloudController is the stand-in, for seeding and for faults.
func (f *Foundation) CloudController() *cloudcontroller.CloudController { return f.cc }

// CloudControllerURL is the API root the copilot reads.
func (f *Foundation) CloudControllerURL() string { return f.ccServer.URL }

// XDSAddress is where proxies reach the pilot (plaintext, loopback).
func (f *Foundation) XDSAddress() string { return f.ports.xds }

// AppsDomain and InternalDomain are the domains' names.
func (f *Foundation) AppsDomain() string     { return f.opts.AppsDomain }
func (f *Foundation) InternalDomain() string { return f.opts.InternalDomain }

// Options are the options the foundation runs with, defaults filled in.
func (f *Foundation) Options() Options { return f.opts }

// GatewayHTTPPort and GatewayHTTPSPort are the ports the pilot gives
// gateway listeners.
func (f *Foundation) GatewayHTTPPort() uint32  { return launch.PortOf(f.ports.gatewayHTTP) }
func (f *Foundation) GatewayHTTPSPort() uint32 { return launch.PortOf(f.ports.gatewayHTTPS) }

// FrontendRoots trusts the operator's certificate for the apps domain.
func (f *Foundation) FrontendRoots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(f.frontendCA.PEM)
	return pool
}

// Gateway is the running Envoy gateway, or nil (see GatewaySkipped).
func (f *Foundation) Gateway() *Gateway { return f.gateway }

// GatewaySkipped says why no gateway runs; empty when one does.
func (f *Foundation) GatewaySkipped() string { return f.gatewaySkipped }

// CFClient is a go-cfclient for the stand-in, logged in as the copilot's
// UAA client: what a test does "through the Cloud Controller API" (a weight
// PATCH, an app stop) goes through it, as `cf curl` would.
func (f *Foundation) CFClient() (*cfclient.Client, error) {
	id, secret := f.cc.ClientCredentials()
	cfg, err := cfconfig.New(f.ccServer.URL, cfconfig.ClientCredentials(id, secret))
	if err != nil {
		return nil, fmt.Errorf("go-cfclient config: %w", err)
	}
	client, err := cfclient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("go-cfclient: %w", err)
	}
	return client, nil
}
