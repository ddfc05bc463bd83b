package meshapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/xds"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// Identity is an app instance as the mesh knows it: the container IP and
// instance GUID its node ID carries, and its certificate files.
type Identity struct {
	IP           string
	InstanceGUID string
	CertFile     string
	KeyFile      string
	CAFile       string
}

// WriteIdentity writes an instance's certificate, key and CA to dir.
func WriteIdentity(dir, ip, instanceGUID string, certPEM, keyPEM, caPEM []byte) (Identity, error) {
	id := Identity{
		IP: ip, InstanceGUID: instanceGUID,
		CertFile: filepath.Join(dir, instanceGUID+".crt"),
		KeyFile:  filepath.Join(dir, instanceGUID+".key"),
		CAFile:   filepath.Join(dir, instanceGUID+"-ca.crt"),
	}
	for path, data := range map[string][]byte{id.CertFile: certPEM, id.KeyFile: keyPEM, id.CAFile: caPEM} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return Identity{}, fmt.Errorf("meshapp: %w", err)
		}
	}
	return id, nil
}

// Bootstrap is grpc-go's xDS bootstrap for the instance: node
// `sidecar~<ip>~<instance GUID>~cf.internal` with GENERATOR=grpc, the
// pilot's containers address, and the instance identity as the
// certificate provider the pilot's mesh resources name.
func Bootstrap(pilotAddress string, id Identity) ([]byte, error) {
	return json.Marshal(map[string]any{
		"xds_servers": []any{map[string]any{
			"server_uri":      pilotAddress,
			"channel_creds":   []any{map[string]any{"type": "insecure"}},
			"server_features": []string{"xds_v3"},
		}},
		"node": map[string]any{
			"id":       fmt.Sprintf("sidecar~%s~%s~cf.internal", id.IP, id.InstanceGUID),
			"cluster":  "proxyless",
			"metadata": map[string]any{"GENERATOR": "grpc"},
		},
		"server_listener_resource_name_template": xdsresources.ServerListenerPrefix + "%s",
		"certificate_providers": map[string]any{
			xdsresources.DefaultCertificateProvider: map[string]any{
				"plugin_name": "file_watcher",
				"config": map[string]any{
					"certificate_file": id.CertFile, "private_key_file": id.KeyFile,
					"ca_certificate_file": id.CAFile, "refresh_interval": "1s",
				},
			},
		},
	})
}

// Server is a proxyless gRPC server of the mesh: it answers the health
// service, naming itself in the backend.IDHeader header.
type Server struct {
	grpc *xds.GRPCServer
	done chan error
}

// Serve starts serving lis (which must be at the identity's IP) once the
// pilot has sent its listener; until then connections are refused.
func Serve(pilotAddress string, id Identity, name string, lis net.Listener) (*Server, error) {
	bootstrap, err := Bootstrap(pilotAddress, id)
	if err != nil {
		return nil, err
	}
	creds, err := xdscreds.NewServerCredentials(xdscreds.ServerOptions{FallbackCreds: insecure.NewCredentials()})
	if err != nil {
		return nil, err
	}
	g, err := xds.NewGRPCServer(grpc.Creds(creds), xds.BootstrapContentsForTesting(bootstrap),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if err := grpc.SetHeader(ctx, metadata.Pairs(backend.IDHeader, name)); err != nil {
				return nil, err
			}
			return handler(ctx, req)
		}))
	if err != nil {
		return nil, fmt.Errorf("meshapp: xds server: %w", err)
	}
	healthpb.RegisterHealthServer(g, health.NewServer())
	s := &Server{grpc: g, done: make(chan error, 1)}
	go func() { s.done <- g.Serve(lis) }()
	return s, nil
}

// Stop stops the server and waits for it.
func (s *Server) Stop() {
	s.grpc.Stop()
	<-s.done
}

// Dial opens a channel to `xds:///<target>` as the instance: mutual TLS
// with its identity when the pilot's cluster asks for it.
func Dial(pilotAddress string, id Identity, target string) (*grpc.ClientConn, error) {
	bootstrap, err := Bootstrap(pilotAddress, id)
	if err != nil {
		return nil, err
	}
	resolver, err := xds.NewXDSResolverWithConfigForTesting(bootstrap)
	if err != nil {
		return nil, fmt.Errorf("meshapp: xds resolver: %w", err)
	}
	creds, err := xdscreds.NewClientCredentials(xdscreds.ClientOptions{FallbackCreds: insecure.NewCredentials()})
	if err != nil {
		return nil, err
	}
	return grpc.NewClient("xds:///"+target, grpc.WithTransportCredentials(creds), grpc.WithResolvers(resolver))
}
