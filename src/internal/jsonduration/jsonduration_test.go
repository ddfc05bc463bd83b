package jsonduration_test

import (
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
)

var _ = DescribeTable("JSON",
	func(in string, want time.Duration, wantErr string) {
		var d jsonduration.Duration
		err := json.Unmarshal([]byte(in), &d)
		if wantErr != "" {
			Expect(err).To(MatchError(ContainSubstring(wantErr)))
			return
		}
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Std()).To(Equal(want))
		out, err := json.Marshal(d)
		Expect(err).NotTo(HaveOccurred())
		var back jsonduration.Duration
		Expect(json.Unmarshal(out, &back)).To(Succeed())
		Expect(back).To(Equal(d))
	},
	Entry("seconds", `"20s"`, 20*time.Second, ""),
	Entry("compound", `"1m30s"`, 90*time.Second, ""),
	Entry("empty means default", `""`, time.Duration(0), ""),
	Entry("not a duration", `"soon"`, time.Duration(0), `invalid duration "soon"`),
	Entry("a bare number", `20`, time.Duration(0), "must be a string"),
)

func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{`"20s"`, `""`, `"-1h"`, `null`, `"9999999999h"`, `{}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var d jsonduration.Duration
		if json.Unmarshal([]byte(in), &d) != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back jsonduration.Duration
		if err := json.Unmarshal(out, &back); err != nil || back != d {
			t.Fatalf("%s: round trip gave %v (%v)", in, back, err)
		}
	})
}
