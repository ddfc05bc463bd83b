package pilot

import (
	"context"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ = Describe("the full translation's wait for configs that changed only endpoints (ADR 20)", func() {
	var (
		p      *Pilot
		ctx    context.Context
		cancel context.CancelFunc
	)
	BeforeEach(func() {
		p = &Pilot{}
		p.endpointsDone = sync.NewCond(&p.mu)
		ctx, cancel = context.WithCancel(context.Background())
		DeferCleanup(cancel)
	})

	// judged records what the endpoints-first loop found for a new newest
	// config, as runEndpointsFirst does.
	judged := func(generation uint64, endpointsOnly bool) {
		p.mu.Lock()
		p.generation, p.endpointsSent, p.endpointsOnly = generation, generation, endpointsOnly
		p.endpointsDone.Broadcast()
		p.mu.Unlock()
	}
	type outcome struct{ waited, due bool }
	// await runs awaitEndpointsOnly and delivers what it returned.
	await := func(deferral time.Duration) <-chan outcome {
		out := make(chan outcome, 1)
		go func() {
			waited, due := p.awaitEndpointsOnly(ctx, deferral)
			out <- outcome{waited, due}
		}()
		return out
	}

	It("does not wait for a config that changed more than endpoints: its translation is due", func() {
		judged(1, false)
		Eventually(await(time.Minute)).Should(Receive(Equal(outcome{waited: false, due: true})))
	})

	It("does not wait for a config the endpoints-first loop has not judged yet", func() {
		judged(1, true)
		p.generation = 2
		Eventually(await(time.Minute)).Should(Receive(Equal(outcome{waited: false, due: true})))
	})

	It("does not wait once the deferral is spent", func() {
		judged(1, true)
		Eventually(await(0)).Should(Receive(Equal(outcome{waited: false, due: true})))
	})

	It("waits out the deferral while the newest config changed only endpoints, newer ones too, and then the translation is due", func() {
		judged(1, true)
		waited := await(300 * time.Millisecond)
		Consistently(waited, 100*time.Millisecond).ShouldNot(Receive())
		judged(2, true)
		Eventually(waited, 5*time.Second).Should(Receive(Equal(outcome{waited: true, due: true})))
	})

	It("stops waiting as soon as a config changes more than endpoints, whose own run translates it once it has arrived", func() {
		judged(1, true)
		waited := await(time.Minute)
		Consistently(waited, 50*time.Millisecond).ShouldNot(Receive())
		judged(2, false)
		Eventually(waited, 5*time.Second).Should(Receive(Equal(outcome{waited: true, due: false})))
	})

	It("stops waiting when the pilot stops, with nothing due", func() {
		judged(1, true)
		waited := await(time.Minute)
		Consistently(waited, 50*time.Millisecond).ShouldNot(Receive())
		cancel()
		Eventually(waited, 5*time.Second).Should(Receive(Equal(outcome{waited: true, due: false})))
	})
})

var _ = Describe("translator.sendEndpointsFirst, endpoints only", func() {
	It("says so for a ServiceEntry that gained an instance of its app, and not when a VirtualService changed too", func() {
		t := newTestTranslator()
		base := hostResources("shop-0.apps.internal", 1)
		t.translate(configOf(base...), 1)

		more := withInstance(base[0], "10.0.0.2")
		sent, endpointsOnly := t.sendEndpointsFirst(configOf(more, base[1]), 2)
		Expect(sent).To(BeNumerically(">=", 1))
		Expect(endpointsOnly).To(BeTrue())

		_, endpointsOnly = t.sendEndpointsFirst(configOf(more, hostResources("shop-0.apps.internal", 1)[1]), 3)
		Expect(endpointsOnly).To(BeFalse(), "a new VirtualService object")
	})
})

func configOf(resources ...mesh.Resource) mesh.Config {
	cfg, err := mesh.NewConfig(resources)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

// withInstance is a ServiceEntry resource with one more endpoint like its
// first, at address.
func withInstance(r mesh.Resource, address string) mesh.Resource {
	se := r.Spec.(*networking.ServiceEntry)
	next := &networking.ServiceEntry{Hosts: se.GetHosts(), Resolution: se.GetResolution(), Ports: se.GetPorts(), Endpoints: append(se.GetEndpoints()[:len(se.GetEndpoints()):len(se.GetEndpoints())],
		&networking.WorkloadEntry{Address: address, Ports: se.GetEndpoints()[0].GetPorts()})}
	out, err := mesh.NewResource(r.Kind, r.Namespace, r.Name, next, r.Labels, r.Annotations)
	Expect(err).NotTo(HaveOccurred())
	return out
}
