package mcpserver_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// The benchmarks' foundation: 10,000 routes × 10 app instances = 100,000
// endpoints (30,004 objects), and the same foundation with one instance of
// one app moved to another port. Publishing them in turn is a stream of
// single-endpoint changes.
const (
	benchHosts     = 10000
	benchEndpoints = 10
)

var benchWorlds = sync.OnceValues(func() (mesh.Config, mesh.Config) {
	world := mcptest.Foundation(benchHosts, benchEndpoints)
	return world, mcptest.WithReplaced(world, mcptest.FoundationServiceEntry(4242, benchEndpoints, 7))
})

func quietLogger() lager.Logger { return lager.NewLogger("bench") }

// BenchmarkPublish measures the copilot's encode time: a first Publish
// encodes every object; a single-endpoint change re-encodes one.
func BenchmarkPublish(b *testing.B) {
	world, moved := benchWorlds()
	b.Run("first-100k-endpoints", func(b *testing.B) {
		for b.Loop() {
			mcpserver.New(quietLogger(), nil).Publish(world)
		}
	})
	b.Run("one-endpoint-change", func(b *testing.B) {
		server := mcpserver.New(quietLogger(), nil)
		server.Publish(world)
		worlds := []mesh.Config{moved, world}
		i := 0
		for b.Loop() {
			server.Publish(worlds[i%2])
			i++
		}
	})
}

// BenchmarkEndpointChange measures, over real gRPC on loopback, what one
// single-endpoint change costs a subscriber of the pilot's four
// collections: time from Publish to the response received, bytes and
// objects sent. State of the World re-sends the ServiceEntry collection;
// Delta sends the one ServiceEntry.
func BenchmarkEndpointChange(b *testing.B) {
	world, moved := benchWorlds()
	server := mcpserver.New(quietLogger(), nil)
	server.Publish(world)
	srv, err := mcpservertest.Serve("127.0.0.1:0", server.Register, mcpserver.GRPCServerOptions(mcpserver.GRPCConfig{})...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(mcpserver.DefaultMaxSendMessageBytes)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	ads := discoveryv3.NewAggregatedDiscoveryServiceClient(conn)

	b.Run("sotw", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		stream, err := ads.StreamAggregatedResources(ctx)
		if err != nil {
			b.Fatal(err)
		}
		next := func() *discoveryv3.DiscoveryResponse {
			resp, err := stream.Recv()
			if err != nil {
				b.Fatal(err)
			}
			if err := stream.Send(&discoveryv3.DiscoveryRequest{TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}); err != nil {
				b.Fatal(err)
			}
			return resp
		}
		for _, t := range pilotCollections {
			if err := stream.Send(&discoveryv3.DiscoveryRequest{TypeUrl: t}); err != nil {
				b.Fatal(err)
			}
		}
		for range pilotCollections {
			next()
		}
		measureChanges(b, server, world, moved, func() (int, int) {
			resp := next()
			return proto.Size(resp), len(resp.Resources)
		})
	})

	b.Run("delta", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		stream, err := ads.DeltaAggregatedResources(ctx)
		if err != nil {
			b.Fatal(err)
		}
		next := func() *discoveryv3.DeltaDiscoveryResponse {
			resp, err := stream.Recv()
			if err != nil {
				b.Fatal(err)
			}
			if err := stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce}); err != nil {
				b.Fatal(err)
			}
			return resp
		}
		for _, t := range pilotCollections {
			if err := stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: t}); err != nil {
				b.Fatal(err)
			}
		}
		for range pilotCollections {
			next()
		}
		measureChanges(b, server, world, moved, func() (int, int) {
			resp := next()
			return proto.Size(resp), len(resp.Resources) + len(resp.RemovedResources)
		})
	})
}

// measureChanges publishes the two worlds in turn (the server holds world
// on entry and on exit) and receives the one response each change causes.
func measureChanges(b *testing.B, server *mcpserver.Server, world, moved mesh.Config, receive func() (bytes, objects int)) {
	var bytes, objects, changes int
	for b.Loop() {
		server.Publish(moved)
		n, k := receive()
		bytes, objects = bytes+n, objects+k
		server.Publish(world)
		n, k = receive()
		bytes, objects = bytes+n, objects+k
		changes += 2
	}
	b.ReportMetric(float64(bytes)/float64(changes), "bytes/change")
	b.ReportMetric(float64(objects)/float64(changes), "objects/change")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(changes), "ns/change")
}

// BenchmarkReconnect measures what a pilot's reconnect to a copilot with
// the same content costs over real gRPC on loopback: State of the World
// re-sends all four collections; Delta declares what the pilot holds
// (initial_resource_versions) and gets nothing back. The Delta stream then
// subscribes to one more collection and waits for its answer, which proves
// nothing was sent before it; that answer is not counted.
func BenchmarkReconnect(b *testing.B) {
	world, _ := benchWorlds()
	server := mcpserver.New(quietLogger(), nil)
	server.Publish(world)
	srv, err := mcpservertest.Serve("127.0.0.1:0", server.Register, mcpserver.GRPCServerOptions(mcpserver.GRPCConfig{})...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(mcpserver.DefaultMaxSendMessageBytes)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	ads := discoveryv3.NewAggregatedDiscoveryServiceClient(conn)

	b.Run("sotw", func(b *testing.B) {
		var requestBytes, responseBytes int
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			stream, err := ads.StreamAggregatedResources(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, t := range pilotCollections {
				req := &discoveryv3.DiscoveryRequest{TypeUrl: t}
				requestBytes += proto.Size(req)
				if err := stream.Send(req); err != nil {
					b.Fatal(err)
				}
			}
			for range pilotCollections {
				resp, err := stream.Recv()
				if err != nil {
					b.Fatal(err)
				}
				responseBytes += proto.Size(resp)
			}
			cancel()
		}
		reportReconnect(b, requestBytes, responseBytes)
	})

	b.Run("delta", func(b *testing.B) {
		var requestBytes, responseBytes int
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			stream, err := ads.DeltaAggregatedResources(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, t := range pilotCollections {
				kind, _ := mesh.ParseCollection(t)
				versions := map[string]string{}
				for _, r := range world.Of(kind) {
					versions[r.Key()] = r.Version
				}
				req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: t, ResourceNamesSubscribe: []string{"*"}, InitialResourceVersions: versions}
				requestBytes += proto.Size(req)
				if err := stream.Send(req); err != nil {
					b.Fatal(err)
				}
			}
			if err := stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: sidecarV1}); err != nil {
				b.Fatal(err)
			}
			for {
				resp, err := stream.Recv()
				if err != nil {
					b.Fatal(err)
				}
				if resp.TypeUrl == sidecarV1 {
					break
				}
				responseBytes += proto.Size(resp)
			}
			cancel()
		}
		reportReconnect(b, requestBytes, responseBytes)
	})
}

func reportReconnect(b *testing.B, requestBytes, responseBytes int) {
	b.ReportMetric(float64(requestBytes)/float64(b.N), "request-bytes/reconnect")
	b.ReportMetric(float64(responseBytes)/float64(b.N), "response-bytes/reconnect")
}
