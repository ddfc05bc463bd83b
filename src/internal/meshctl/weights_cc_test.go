package meshctl_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/meshctl"
)

// foundation is a Cloud Controller stand-in with a canary route, and a
// CF_HOME whose config.json is logged in to it as the cf CLI writes it.
type foundation struct {
	cc                 *cloudcontroller.CloudController
	url                string
	vars               map[string]string
	domain             string
	checkout, shop     string // route GUIDs
	v1, v2, v3, other  string // app GUIDs
	otherSpace         string
	destinationsServed atomic.Int32
}

// cfConfig is the part of the cf CLI's ~/.cf/config.json meshctl and
// go-cfclient read (go-cfclient config/cf_cli.go; the cf CLI's
// util/configv3 JSONConfig), with the values `cf login` or
// `cf auth --client-credentials` leave there.
type cfConfig struct {
	ConfigVersion         int
	Target                string
	APIVersion            string
	AuthorizationEndpoint string
	UaaEndpoint           string
	AccessToken           string
	RefreshToken          string
	UAAOAuthClient        string
	UAAOAuthClientSecret  string
	UAAGrantType          string
	SSHOAuthClient        string
	SSLDisabled           bool
	OrganizationFields    struct{ GUID, Name string }
	SpaceFields           struct {
		GUID, Name string
		AllowSSH   bool
	}
}

func newFoundation() *foundation {
	f := &foundation{cc: cloudcontroller.New(cloudcontroller.Options{})}
	server := httptest.NewServer(f.cc)
	DeferCleanup(server.Close)
	f.url = server.URL
	f.cc.SetBaseURL(server.URL)

	f.domain = f.cc.AddDomain("apps.example.com", false)
	f.v1 = f.cc.AddApp("checkout-v1")
	f.v2 = f.cc.AddApp("checkout-v2")
	f.v3 = f.cc.AddApp("checkout-v3")
	org := f.cc.AddOrganization("other-org")
	f.otherSpace = f.cc.AddSpace("other-space", org)
	f.other = f.cc.AddApp("checkout-v1", cloudcontroller.InSpace(f.otherSpace))
	f.checkout = f.cc.AddRoute("checkout", f.domain, "/v2")
	f.shop = f.cc.AddRoute("", f.domain, "")
	Expect(f.cc.ReplaceDestinations(f.checkout, []cloudcontroller.Destination{
		{AppGUID: f.v1, Weight: w(90)}, {AppGUID: f.v2, Weight: w(10)},
	})).To(Succeed())
	Expect(f.cc.ReplaceDestinations(f.shop, []cloudcontroller.Destination{{AppGUID: f.v1}, {AppGUID: f.v2}})).To(Succeed())

	id, secret := f.cc.ClientCredentials()
	f.vars = f.writeCFHome(func(c *cfConfig) {
		c.UAAOAuthClient, c.UAAOAuthClientSecret, c.UAAGrantType = id, secret, "client_credentials"
	})
	return f
}

// writeCFHome writes a CF_HOME logged in to the stand-in and targeting its
// default space, changed by edit, and returns the environment naming it.
func (f *foundation) writeCFHome(edit func(*cfConfig)) map[string]string {
	c := cfConfig{
		ConfigVersion: 3, Target: f.url, APIVersion: cloudcontroller.DefaultAPIVersion,
		AuthorizationEndpoint: f.url, UaaEndpoint: f.url, SSHOAuthClient: "ssh-proxy",
	}
	c.OrganizationFields.GUID, c.OrganizationFields.Name = cloudcontroller.DefaultOrganizationGUID, "default-org"
	c.SpaceFields.GUID, c.SpaceFields.Name = cloudcontroller.DefaultSpaceGUID, "default-space"
	edit(&c)
	home := GinkgoT().TempDir()
	Expect(os.MkdirAll(filepath.Join(home, ".cf"), 0o700)).To(Succeed())
	raw, err := json.MarshalIndent(c, "", "  ")
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(filepath.Join(home, ".cf", "config.json"), raw, 0o600)).To(Succeed())
	return map[string]string{"CF_HOME": home}
}

// weights returns what Cloud Controller holds for a route: app GUID (and
// process type when not web) to weight, "-" when unweighted.
func (f *foundation) weights(routeGUID string) map[string]string {
	GinkgoHelper()
	r := runWith(f.vars, "weights", "get", f.routeURL(routeGUID), "--json")
	Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
	var got meshctl.RouteWeights
	Expect(json.Unmarshal([]byte(r.stdout), &got)).To(Succeed())
	out := map[string]string{}
	for _, d := range got.Destinations {
		k := d.AppGUID
		if d.ProcessType != "web" {
			k += ":" + d.ProcessType
		}
		out[k] = "-"
		if d.Weight != nil {
			out[k] = fmt.Sprint(*d.Weight)
		}
	}
	return out
}

func (f *foundation) routeURL(routeGUID string) string {
	if routeGUID == f.shop {
		return "apps.example.com"
	}
	return "checkout.apps.example.com/v2"
}

func (f *foundation) run(args ...string) result { return runWith(f.vars, args...) }

var _ = Describe("meshctl weights, against Cloud Controller with the cf CLI's login", func() {
	var f *foundation
	BeforeEach(func() { f = newFoundation() })

	Describe("get", func() {
		It("shows the route's destinations by app name, with weights and shares", func() {
			r := f.run("weights", "get", "checkout.apps.example.com/v2")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(r.stdout).To(ContainSubstring("Route checkout.apps.example.com/v2 (" + f.checkout + "): weighted"))
			Expect(r.stdout).To(MatchRegexp(`checkout-v1\s+` + f.v1 + `\s+web\s+8080\s+http1\s+90\s+90%`))
			Expect(r.stdout).To(MatchRegexp(`checkout-v2\s+` + f.v2 + `\s+web\s+8080\s+http1\s+10\s+10%`))
			Expect(r.stdout).To(ContainSubstring("cf map-route and cf unmap-route fail on this route while it is weighted"))
		})

		It("finds a route without a host, written as a URL", func() {
			r := f.run("weights", "get", "https://Apps.Example.com/", "--json")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			var got meshctl.RouteWeights
			Expect(json.Unmarshal([]byte(r.stdout), &got)).To(Succeed())
			Expect(got.Route).To(Equal(meshctl.Route{GUID: f.shop, URL: "apps.example.com"}))
			Expect(got.Weighted).To(BeFalse())
			Expect(got.Destinations).To(HaveLen(2))
			Expect(got.Destinations[0].Share).To(Equal(50.0))
		})

		It("names a route Cloud Controller does not have", func() {
			expectFailure(f.run("weights", "get", "checkout.apps.example.com/v3"), meshctl.ExitFailure,
				"Cloud Controller at "+f.url+" has no HTTP route checkout.apps.example.com/v3 that you can see")
		})
	})

	Describe("set", func() {
		It("shows the split, then applies it with one PATCH", func() {
			r := f.run("weights", "set", "checkout.apps.example.com/v2", "checkout-v1=50", "checkout-v2=50")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(r.stdout).To(MatchRegexp(`checkout-v1\s+web\s+8080\s+90%\s+50%`))
			Expect(r.stdout).To(ContainSubstring("Applied. cf map-route and cf unmap-route fail on this route while it is weighted"))
			Expect(f.weights(f.checkout)).To(Equal(map[string]string{f.v1: "50", f.v2: "50"}))
		})

		It("changes nothing with --dry-run", func() {
			r := f.run("weights", "set", "--dry-run", "checkout.apps.example.com/v2", "checkout-v1=1", "checkout-v2=99")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(r.stdout).To(MatchRegexp(`checkout-v2\s+web\s+8080\s+10%\s+99%`))
			Expect(r.stdout).To(HaveSuffix("Dry run: nothing was changed.\n"))
			Expect(f.weights(f.checkout)).To(Equal(map[string]string{f.v1: "90", f.v2: "10"}))
		})

		It("runs a canary from start to end without an equal split in between", func() {
			By("weighting an unweighted route and mapping the canary in one change")
			r := f.run("weights", "set", "apps.example.com", "checkout-v1=95", "checkout-v2=0", "checkout-v3=5")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(r.stdout).To(MatchRegexp(`checkout-v2\s+web\s+8080\s+50%\s+unmapped`))
			Expect(r.stdout).To(MatchRegexp(`checkout-v3\s+web\s+-\s+-\s+5% \(new\)`))
			Expect(f.weights(f.shop)).To(Equal(map[string]string{f.v1: "95", f.v3: "5"}))

			By("cf map-route fails on the weighted route, as Cloud Controller says")
			Expect(f.cc.InsertDestinations(f.shop, []cloudcontroller.Destination{{AppGUID: f.v2}})).To(MatchError(ContainSubstring("weighted destinations")))

			By("moving all traffic to the canary and unmapping the old app")
			r = f.run("weights", "set", "apps.example.com", "checkout-v1=0", f.v3+"=100")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(f.weights(f.shop)).To(Equal(map[string]string{f.v3: "100"}))

			By("resetting, so cf map-route works again")
			r = f.run("weights", "reset", "apps.example.com")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(r.stdout).To(ContainSubstring("Applied. Every destination gets an equal share; cf map-route and cf unmap-route work on this route."))
			Expect(f.weights(f.shop)).To(Equal(map[string]string{f.v3: "-"}))
			Expect(f.cc.InsertDestinations(f.shop, []cloudcontroller.Destination{{AppGUID: f.v2}})).To(Succeed())
		})

		It("keeps a destination's port, protocol and process type", func() {
			Expect(f.cc.ReplaceDestinations(f.shop, []cloudcontroller.Destination{
				{AppGUID: f.v1, ProcessType: "api", Port: 9090, Protocol: "http2"}, {AppGUID: f.v1, Port: 8080},
			})).To(Succeed())
			r := f.run("weights", "set", "apps.example.com", "checkout-v1:api=30", "checkout-v1:web=70")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			r = f.run("weights", "get", "apps.example.com")
			Expect(r.stdout).To(MatchRegexp(`checkout-v1\s+\S+\s+api\s+9090\s+http2\s+30\s+30%`))
			Expect(r.stdout).To(MatchRegexp(`checkout-v1\s+\S+\s+web\s+8080\s+http1\s+70\s+70%`))
		})

		It("takes an app of another space by GUID, and the route's own apps by name", func() {
			r := f.run("weights", "set", "checkout.apps.example.com/v2", "checkout-v1=40", "checkout-v2=40", f.other+"=20", "--json")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			var got meshctl.PlanResult
			Expect(json.Unmarshal([]byte(r.stdout), &got)).To(Succeed())
			Expect(got.Applied).To(BeTrue())
			Expect(got.After).To(HaveLen(3))
			for _, d := range got.After {
				Expect(d.Port).To(Equal(8080), "what Cloud Controller holds, its default port filled in")
				Expect(d.AppName).To(HavePrefix("checkout-v"))
			}
			Expect(f.weights(f.checkout)).To(Equal(map[string]string{f.v1: "40", f.v2: "40", f.other: "20"}))

			By("then a name mapped twice, from two spaces, needs the GUID")
			expectFailure(f.run("weights", "set", "checkout.apps.example.com/v2", "checkout-v1=50", "checkout-v2=50"), meshctl.ExitFailure,
				"two apps named checkout-v1 are mapped to checkout.apps.example.com/v2", "give the GUID of the one you mean")
		})

		DescribeTable("refuses, before changing anything, what Cloud Controller's rules or the route forbid",
			func(code int, reason string, args ...string) {
				expectFailure(f.run(append([]string{"weights", "set", "checkout.apps.example.com/v2"}, args...)...), code, reason)
				Expect(f.weights(f.checkout)).To(Equal(map[string]string{f.v1: "90", f.v2: "10"}))
			},
			Entry("a sum that is not 100", meshctl.ExitUsage, "the weights sum to 60; Cloud Controller needs them to sum to 100", "checkout-v1=50", "checkout-v2=10"),
			Entry("a weight that is no number", meshctl.ExitUsage, `weight "half" of checkout-v1 is not a whole number from 1 to 100`, "checkout-v1=half", "checkout-v2=50"),
			Entry("no weights", meshctl.ExitUsage, "weights set needs APP=WEIGHT for every destination of the route"),
			Entry("a destination left out", meshctl.ExitFailure, "every destination of checkout.apps.example.com/v2 needs a weight (0 unmaps it); missing: checkout-v2 (web, port 8080)", "checkout-v1=100"),
			Entry("an app that does not exist", meshctl.ExitFailure, "app checkout-v9 is neither mapped to checkout.apps.example.com/v2 nor in space default-space", "checkout-v1=50", "checkout-v2=40", "checkout-v9=10"),
			Entry("an unknown GUID", meshctl.ExitFailure, "no app with GUID 00000000-0000-4000-8000-000000000000 is mapped to checkout.apps.example.com/v2 or visible to you", "checkout-v1=50", "checkout-v2=40", "00000000-0000-4000-8000-000000000000=10"),
		)

		It("refuses a route that is not host.domain, asking nothing", func() {
			expectFailure(f.run("weights", "set", "checkout", "checkout-v1=100"), meshctl.ExitUsage, `route "checkout" is not host.domain[/path]`)
			Expect(f.cc.Requests("/")).To(BeZero())
		})

		It("changes nothing when the route's destinations changed after they were read", func() {
			var reads atomic.Int32
			f.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
				if r.Method == http.MethodGet && r.URL.Path == "/v3/routes/"+f.shop+"/destinations" && reads.Add(1) == 2 {
					Expect(f.cc.InsertDestinations(f.shop, []cloudcontroller.Destination{{AppGUID: f.v3}})).To(Succeed())
				}
				return 0, "", 0, false
			})
			expectFailure(f.run("weights", "set", "apps.example.com", "checkout-v1=50", "checkout-v2=50"), meshctl.ExitFailure,
				"the destinations of apps.example.com changed while meshctl planned", "nothing was changed, run it again")
			Expect(f.weights(f.shop)).To(Equal(map[string]string{f.v1: "-", f.v2: "-", f.v3: "-"}))
		})

		It("passes on Cloud Controller's refusal in one line", func() {
			f.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
				if r.Method == http.MethodPatch {
					return http.StatusUnprocessableEntity, `{"errors":[{"code":10008,"title":"CF-UnprocessableEntity","detail":"Routes cannot be mapped to destinations in different spaces"}]}`, 0, true
				}
				return 0, "", 0, false
			})
			expectFailure(f.run("weights", "set", "checkout.apps.example.com/v2", "checkout-v1=50", "checkout-v2=50"), meshctl.ExitFailure,
				"changing the destinations of checkout.apps.example.com/v2: Cloud Controller said CF-UnprocessableEntity: Routes cannot be mapped to destinations in different spaces")
		})
	})

	Describe("reset", func() {
		It("makes a weighted route unweighted, keeping its destinations", func() {
			r := f.run("weights", "reset", "checkout.apps.example.com/v2", "--dry-run")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(r.stdout).To(MatchRegexp(`checkout-v1\s+web\s+8080\s+90%\s+50%`))
			Expect(f.weights(f.checkout)).To(Equal(map[string]string{f.v1: "90", f.v2: "10"}))

			r = f.run("weights", "reset", "checkout.apps.example.com/v2")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(f.weights(f.checkout)).To(Equal(map[string]string{f.v1: "-", f.v2: "-"}))
			Expect(f.cc.InsertDestinations(f.checkout, []cloudcontroller.Destination{{AppGUID: f.v3}})).To(Succeed())
		})

		It("sends nothing for a route that is unweighted already", func() {
			patches := 0
			f.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
				if r.Method == http.MethodPatch {
					patches++
				}
				return 0, "", 0, false
			})
			r := f.run("weights", "reset", "apps.example.com")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(r.stdout).To(Equal("Route apps.example.com is unweighted already: nothing to reset.\n"))
			Expect(patches).To(BeZero())
		})
	})

	Describe("the cf CLI's login", func() {
		It("uses a user's tokens from cf login, refreshing an expired access token", func() {
			token := f.clientToken()
			var refreshed atomic.Bool
			f.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
				if r.URL.Path != "/oauth/token" {
					return 0, "", 0, false
				}
				Expect(r.ParseForm()).To(Succeed())
				if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != "refresh-from-cf-login" {
					return http.StatusUnauthorized, `{"error":"invalid_token"}`, 0, true
				}
				refreshed.Store(true)
				return http.StatusOK, fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":600,"refresh_token":"refresh-2"}`, token), 0, true
			})
			f.vars = f.writeCFHome(func(c *cfConfig) {
				c.AccessToken, c.RefreshToken, c.UAAOAuthClient = "bearer "+expiredJWT(), "refresh-from-cf-login", "cf"
			})
			r := f.run("weights", "get", "checkout.apps.example.com/v2")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
			Expect(refreshed.Load()).To(BeTrue())
			Expect(r.stdout).To(ContainSubstring("checkout-v1"))
		})

		It("asks for cf login when the refresh token is no longer accepted", func() {
			f.vars = f.writeCFHome(func(c *cfConfig) {
				c.AccessToken, c.RefreshToken, c.UAAOAuthClient = "bearer "+expiredJWT(), "revoked", "cf"
			})
			expectFailure(f.run("weights", "get", "checkout.apps.example.com/v2"), meshctl.ExitFailure,
				"the cf CLI's login has expired (run `cf login`)")
		})

		It("asks for cf login when there is none", func() {
			expectFailure(runWith(map[string]string{"CF_HOME": GinkgoT().TempDir()}, "weights", "get", "checkout.apps.example.com/v2"),
				meshctl.ExitFailure, "reading the cf CLI's login (run `cf login` first, or set CF_HOME)")
		})

		It("reads $HOME/.cf when CF_HOME is not set", func() {
			r := runWith(map[string]string{"HOME": f.vars["CF_HOME"]}, "weights", "get", "checkout.apps.example.com/v2")
			Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		})

		It("asks for a targeted space to look an app up by name", func() {
			f.vars = f.writeCFHome(func(c *cfConfig) {
				id, secret := f.cc.ClientCredentials()
				c.UAAOAuthClient, c.UAAOAuthClientSecret = id, secret
				c.SpaceFields.GUID, c.SpaceFields.Name = "", ""
			})
			expectFailure(f.run("weights", "set", "checkout.apps.example.com/v2", "checkout-v1=50", "checkout-v2=40", "checkout-v3=10"), meshctl.ExitFailure,
				"app checkout-v3 is not mapped to checkout.apps.example.com/v2 and no space is targeted to look it up in: run `cf target -s SPACE` or give the app's GUID")
		})
	})
})

// clientToken is a token the stand-in accepts, from its client_credentials
// grant.
func (f *foundation) clientToken() string {
	GinkgoHelper()
	id, secret := f.cc.ClientCredentials()
	req, err := http.NewRequest(http.MethodPost, f.url+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	Expect(json.NewDecoder(resp.Body).Decode(&body)).To(Succeed())
	Expect(body.AccessToken).NotTo(BeEmpty())
	return body.AccessToken
}

// expiredJWT is an access token shaped like UAA's that expired an hour ago
// (go-cfclient reads its `exp` to decide to refresh).
func expiredJWT() string {
	enc := base64.RawURLEncoding.EncodeToString
	payload := fmt.Sprintf(`{"exp":%d,"user_name":"developer"}`, time.Now().Add(-time.Hour).Unix())
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("signature"))
}
