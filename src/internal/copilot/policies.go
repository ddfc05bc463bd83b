package copilot

import (
	"sync"

	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// policyState holds what the network policy source last reported and what
// the copilot can vouch for: every app in the routing table while the
// source is current; while it is lost, only the apps that were in the
// table when it last was (ADR 13: fail closed for new destinations).
type policyState struct {
	configured bool

	mu      sync.Mutex
	synced  bool
	current bool
	network source.NetworkPolicies
	// vouched are the apps whose policies were current when last seen.
	vouched map[string]bool
}

func newPolicyState(configured bool) *policyState {
	return &policyState{configured: configured, vouched: map[string]bool{}}
}

// update is the policy source's callback.
func (p *policyState) update(network source.NetworkPolicies, current bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.synced, p.current, p.network = true, current, network
}

// forApps gives a routing table with these apps its policies.
func (p *policyState) forApps(apps []string) routingtable.Policies {
	if !p.configured {
		return routingtable.Policies{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.synced {
		return routingtable.Policies{Unknown: true}
	}
	out := routingtable.Policies{Network: p.network}
	if p.current {
		p.vouched = make(map[string]bool, len(apps))
		for _, app := range apps {
			p.vouched[app] = true
		}
		return out
	}
	for _, app := range apps {
		if !p.vouched[app] {
			out.Unverified = append(out.Unverified, app)
		}
	}
	return out
}
