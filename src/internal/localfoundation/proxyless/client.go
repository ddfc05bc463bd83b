package proxyless

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/xds"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
)

// Bootstrap is grpc-go's xDS bootstrap for a proxyless client of the pilot
// at pilotAddress, identified as `sidecar~<ip>~<workload>~cf.internal` with
// the GENERATOR=grpc metadata the pilot classifies mesh clients by.
func Bootstrap(pilotAddress, ip, workload string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"xds_servers": []any{map[string]any{
			"server_uri":      pilotAddress,
			"channel_creds":   []any{map[string]any{"type": "insecure"}},
			"server_features": []string{"xds_v3"},
		}},
		"node": map[string]any{
			"id":       fmt.Sprintf("sidecar~%s~%s~cf.internal", ip, workload),
			"cluster":  "proxyless",
			"metadata": map[string]any{"GENERATOR": "grpc"},
		},
	})
}

// Dial opens a channel to `xds:///<target>` through the pilot. The xDS
// resolver is built from the bootstrap for this channel alone (grpc-go reads
// its global bootstrap once at start-up, which a test process cannot
// change).
func Dial(pilotAddress, workload, target string) (*grpc.ClientConn, error) {
	config, err := Bootstrap(pilotAddress, "127.0.0.1", workload)
	if err != nil {
		return nil, err
	}
	resolver, err := xds.NewXDSResolverWithConfigForTesting(config)
	if err != nil {
		return nil, fmt.Errorf("xds resolver: %w", err)
	}
	return grpc.NewClient("xds:///"+target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(resolver))
}

// Split makes n sequential calls and counts which backend answered each.
// Failed calls are counted under the empty key; the first error is kept.
func Split(ctx context.Context, conn grpc.ClientConnInterface, n int) (map[string]int, error) {
	counts := map[string]int{}
	var firstErr error
	for range n {
		id, err := backend.Call(ctx, conn)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		counts[id]++
	}
	return counts, firstErr
}
