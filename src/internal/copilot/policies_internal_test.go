package copilot

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

var _ = Describe("policyState", func() {
	policy := source.NetworkPolicies{{SourceAppGUID: "front", DestinationAppGUID: "orders", Protocol: "tcp", StartPort: 8080, EndPort: 8080}}

	It("leaves policies out when no policy source is configured", func() {
		Expect(newPolicyState(false).forApps([]string{"orders"})).To(Equal(routingtable.Policies{}))
	})

	It("knows no app's policies until the source answers", func() {
		Expect(newPolicyState(true).forApps([]string{"orders"})).To(Equal(routingtable.Policies{Unknown: true}))
	})

	It("vouches for every app while the source is current, and only for those once it is lost", func() {
		state := newPolicyState(true)
		state.update(policy, true)
		Expect(state.forApps([]string{"orders", "front"})).To(Equal(routingtable.Policies{Network: policy}))

		state.update(policy, false)
		Expect(state.forApps([]string{"front", "newcomer", "orders"})).To(Equal(routingtable.Policies{
			Network: policy, Unverified: []string{"newcomer"},
		}))

		state.update(policy, true)
		Expect(state.forApps([]string{"front", "newcomer", "orders"})).To(Equal(routingtable.Policies{Network: policy}))
	})

	It("does not vouch for an app that left and came back while the source was lost", func() {
		state := newPolicyState(true)
		state.update(policy, true)
		state.forApps([]string{"orders"})
		state.forApps([]string{})
		state.update(policy, false)
		Expect(state.forApps([]string{"orders"}).Unverified).To(Equal([]string{"orders"}))
	})
})
