package meshbench

import (
	"fmt"
	"net"
	"net/http"

	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
)

// cloudController is the Cloud Controller stand-in serving the
// foundation on loopback.
type cloudController struct {
	cc     *ccstandin.CloudController
	url    string
	server *http.Server
}

// seedCloudController creates the foundation's organizations, spaces,
// domains, apps, processes, routes and destinations in a stand-in, fills
// the GUIDs it made into f, and serves it on a loopback port.
func seedCloudController(f *Foundation) (*cloudController, error) {
	cc := ccstandin.New(ccstandin.Options{})
	var spaceGUIDs []string
	org := ""
	for s := range spaces {
		if s%spacesPerOrg == 0 {
			org = cc.AddOrganization(fmt.Sprintf("org-%d", s/spacesPerOrg))
		}
		spaceGUIDs = append(spaceGUIDs, cc.AddSpace(fmt.Sprintf("space-%d", s), org))
	}
	external, internal := cc.AddDomain(ExternalDomain, false), cc.AddDomain(InternalDomain, true)
	for a := range f.Apps {
		app := &f.Apps[a]
		app.GUID = cc.AddApp(app.Name, ccstandin.InSpace(spaceGUIDs[app.Space]))
		app.ProcessGUID = cc.AddProcess(app.GUID, "web")
	}
	f.assignInstanceGUIDs()
	for r := range f.Routes {
		route := &f.Routes[r]
		domain := external
		if route.Internal {
			domain = internal
		}
		route.GUID = cc.AddRoute(route.Name, domain, "", ccstandin.InSpace(spaceGUIDs[f.Apps[route.Apps[0]].Space]))
		if err := cc.ReplaceDestinations(route.GUID, f.destinations(*route, 50)); err != nil {
			return nil, fmt.Errorf("route %s: %w", route.Host, err)
		}
	}
	return serveCloudController(cc)
}

// destinations are a route's destinations; a weighted route gives its
// first app weight and the canary the rest.
func (f *Foundation) destinations(r Route, weight int) []ccstandin.Destination {
	if len(r.Apps) == 1 {
		return []ccstandin.Destination{{AppGUID: f.Apps[r.Apps[0]].GUID}}
	}
	rest := 100 - weight
	return []ccstandin.Destination{{AppGUID: f.Apps[r.Apps[0]].GUID, Weight: &weight}, {AppGUID: f.Apps[r.Apps[1]].GUID, Weight: &rest}}
}

func serveCloudController(cc *ccstandin.CloudController) (*cloudController, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	url := "http://" + lis.Addr().String()
	cc.SetBaseURL(url)
	server := &http.Server{Handler: cc}
	go func() { _ = server.Serve(lis) }()
	return &cloudController{cc: cc, url: url, server: server}, nil
}

func (c *cloudController) close() { _ = c.server.Close() }
