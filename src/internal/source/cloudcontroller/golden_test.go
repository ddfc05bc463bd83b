package cloudcontroller_test

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
)

// goldenInput is what Cloud Controller answers, in its own JSON: the
// resources of `GET /v3/routes?include=domain` (routes and included domains,
// with their route policy settings) and of `GET /v3/processes`, `/v3/apps`,
// `/v3/spaces` and `/v3/route_policies`.
type goldenInput struct {
	Routes        []*resource.Route       `json:"routes"`
	Domains       []json.RawMessage       `json:"domains"`
	Processes     []*resource.Process     `json:"processes"`
	Apps          []*resource.App         `json:"apps"`
	Spaces        []*resource.Space       `json:"spaces"`
	RoutePolicies []*resource.RoutePolicy `json:"route_policies"`
}

// foundation decodes the input's domains as the poller does, through a
// route page, so that their route policy settings come along.
func (in goldenInput) foundation() cloudcontroller.Foundation {
	page, err := json.Marshal(map[string]any{"pagination": map[string]any{}, "resources": []any{},
		"included": map[string]any{"domains": in.Domains}})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	decoded, err := cloudcontroller.DecodeRoutePage(page)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return cloudcontroller.Foundation{
		Routes: in.Routes, Domains: decoded.Domains, DomainPolicies: decoded.DomainPolicies,
		Processes: in.Processes, Apps: in.Apps, Spaces: in.Spaces, RoutePolicies: in.RoutePolicies,
	}
}

// goldenOutput is Translate's result: the routes and the errors of the
// dropped routes and route policies.
type goldenOutput struct {
	Routes source.DesiredRoutes `json:"routes"`
	Errors []string             `json:"errors"`
}

// Regenerate with: go test ./internal/source/cloudcontroller -update-golden
var _ = Describe("Translate golden files", func() {
	inputs, err := golden.Inputs(filepath.Join("testdata", "in", "*.json"))
	if err != nil {
		panic(err)
	}
	for _, in := range inputs {
		out := golden.OutputFor(in, ".json")
		It("turns "+in+" into "+out, func() {
			data, err := os.ReadFile(in)
			Expect(err).NotTo(HaveOccurred())
			var input goldenInput
			Expect(json.Unmarshal(data, &input)).To(Succeed())

			routes, errs := cloudcontroller.Translate(input.foundation())

			got := goldenOutput{Routes: routes, Errors: []string{}}
			for _, e := range errs {
				got.Errors = append(got.Errors, e.Error())
			}
			gotJSON, err := json.MarshalIndent(got, "", "  ")
			Expect(err).NotTo(HaveOccurred())
			Expect(golden.Compare(out, append(gotJSON, '\n'))).To(Succeed())
		})
	}
})
