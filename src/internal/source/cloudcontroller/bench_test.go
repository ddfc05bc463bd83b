package cloudcontroller_test

import (
	"fmt"
	"testing"

	"github.com/cloudfoundry/go-cfclient/v3/resource"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// benchView is a foundation of 10k routes, 10k apps with 20k processes
// and 100 spaces.
func benchView() *cloudcontroller.View {
	var f cloudcontroller.Foundation
	f.Domains = []*resource.Domain{domain("dom-apps", "apps.example.com", false)}
	for i := range 100 {
		f.Spaces = append(f.Spaces, space(fmt.Sprintf("space-%d", i), fmt.Sprintf("org-%d", i/10)))
	}
	for i := range 10000 {
		a := fmt.Sprintf("app-%05d", i)
		f.Apps = append(f.Apps, app(a, "STARTED"))
		f.Processes = append(f.Processes, process("web-"+a, a, "web"), process("worker-"+a, a, "worker"))
		f.Routes = append(f.Routes, inSpace(route(fmt.Sprintf("r%05d", i), fmt.Sprintf("r%05d", i), "dom-apps", "", dest(a)),
			fmt.Sprintf("space-%d", i%100)))
	}
	return cloudcontroller.NewView(f)
}

// BenchmarkViewTranslate is the work the poller does per change at 10k
// routes: merge a one-route delta and translate the whole view.
func BenchmarkViewTranslate(b *testing.B) {
	v := benchView()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := route(fmt.Sprintf("r%05d", i%10000), fmt.Sprintf("r%05d", i%10000), "dom-apps", "/"+fmt.Sprint(i), dest("app-00001"))
		v.Apply(cloudcontroller.Delta{RouteGUIDs: []string{r.GUID}, Routes: []*resource.Route{r}})
		out, errs := v.Translate()
		if len(errs) > 0 || len(out.Routes) != 10000 {
			b.Fatalf("%d routes, %v", len(out.Routes), errs)
		}
	}
}
