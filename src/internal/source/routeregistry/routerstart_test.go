package routeregistry_test

import (
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

var _ = Describe("RouterStart", func() {
	It("encodes exactly like gorouter's common.RouterStart", func() {
		start := routeregistry.NewRouterStart("copilot-0-1234", []string{"10.0.0.9"}, 20*time.Second+900*time.Millisecond, 2*time.Minute)
		encoded, err := json.Marshal(start)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(encoded)).To(Equal(`{"id":"copilot-0-1234","hosts":["10.0.0.9"],"minimumRegisterIntervalInSeconds":20,"pruneThresholdInSeconds":120}`))
	})

	It("decodes what route-emitter reads from it", func() {
		var greeting struct {
			MinimumRegisterInterval int `json:"minimumRegisterIntervalInSeconds"`
			PruneThresholdInSeconds int `json:"pruneThresholdInSeconds"`
		}
		encoded, err := json.Marshal(routeregistry.NewRouterStart("id", nil, 5*time.Second, 30*time.Second))
		Expect(err).NotTo(HaveOccurred())
		Expect(json.Unmarshal(encoded, &greeting)).To(Succeed())
		Expect(greeting.MinimumRegisterInterval).To(Equal(5))
		Expect(greeting.PruneThresholdInSeconds).To(Equal(30))
	})
})
