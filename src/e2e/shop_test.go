package e2e_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/loopback"
)

const shopHost = "shop.apps.example.com"

func weight(w int) *int { return &w }

// shop is a foundation with one route, shop.apps.example.com, weighted
// 80/20 over two apps (three instances: v1-a, v1-b, v2-a), plus enough
// other routes that Cloud Controller answers in several pages.
type shop struct {
	cc           *ccstandin.CloudController
	ccURL        string
	routeGUID    string
	appV1, appV2 string
	emitter      *routeemitter.Emitter
	messages     map[string]routeemitter.Message
	plane        *controlPlane
}

func startShop(gw planeSettings) *shop {
	s := &shop{messages: map[string]routeemitter.Message{}}
	natsURL := loopback.StartNATS()
	s.cc, s.ccURL = startCloudController()

	By("seeding Cloud Controller with a route weighted 80/20 over two apps, plus enough routes for several pages")
	domain := s.cc.AddDomain("apps.example.com", false)
	s.appV1, s.appV2 = s.cc.AddApp("shop-v1"), s.cc.AddApp("shop-v2")
	processV1, processV2 := s.cc.AddProcess(s.appV1, "web"), s.cc.AddProcess(s.appV2, "web")
	s.routeGUID = s.cc.AddRoute("shop", domain, "")
	Expect(s.cc.ReplaceDestinations(s.routeGUID, []ccstandin.Destination{
		{AppGUID: s.appV1, Weight: weight(80)}, {AppGUID: s.appV2, Weight: weight(20)},
	})).To(Succeed())
	for i := range 5 {
		filler := s.cc.AddRoute(fmt.Sprintf("filler-%d", i), domain, "")
		Expect(s.cc.ReplaceDestinations(filler, []ccstandin.Destination{{AppGUID: s.appV1}})).To(Succeed())
	}

	By("starting three instances that register over NATS like route-emitter")
	s.emitter = startEmitter(natsURL)
	for i, inst := range []struct{ id, app, process string }{
		{"v1-a", s.appV1, processV1}, {"v1-b", s.appV1, processV1}, {"v2-a", s.appV2, processV2},
	} {
		b := startBackend(inst.id)
		msg := routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{
			CellIP: "127.0.0.1", HostPort: b.Port(), AppGUID: inst.app, ProcessGUID: inst.process,
			InstanceGUID: inst.id + "-guid", Index: i,
		}, shopHost)
		s.messages[inst.id] = msg
		s.emitter.Register(msg)
	}

	By("starting the copilot and the pilot")
	s.plane = startControlPlane(s.ccURL, natsURL, gw)
	Eventually(s.plane.pilot.Ready(), 60*time.Second).Should(BeClosed())
	return s
}

// bounded is a context for one spec's calls.
func bounded() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	DeferCleanup(cancel)
	return ctx
}
