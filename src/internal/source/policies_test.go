package source_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

const guid = "5e3b1c2a-0f4d-4c8e-9a7b-1d2e3f4a5b6c"

var _ = Describe("ParseCaller", func() {
	DescribeTable("reads Cloud Controller's route policy sources",
		func(in string, want source.Caller, principal string) {
			got, err := source.ParseCaller(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
			Expect(got.String()).To(Equal(principal))
		},
		Entry("an app", "cf:app:"+guid, source.Caller{Kind: source.CallerApp, GUID: guid}, "app:"+guid),
		Entry("a space", "cf:space:"+guid, source.Caller{Kind: source.CallerSpace, GUID: guid}, "space:"+guid),
		Entry("an org, named as the certificate's OU names it", "cf:org:"+guid, source.Caller{Kind: source.CallerOrganization, GUID: guid}, "organization:"+guid),
		Entry("anyone", "cf:any", source.Caller{Kind: source.CallerAny}, "*"),
		Entry("an upper-case GUID, lowered", "cf:app:5E3B1C2A-0F4D-4C8E-9A7B-1D2E3F4A5B6C", source.Caller{Kind: source.CallerApp, GUID: guid}, "app:"+guid),
	)

	DescribeTable("refuses what is not a caller, saying why",
		func(in, want string) {
			_, err := source.ParseCaller(in)
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("no cf: prefix", "app:"+guid, "want cf:app:<guid>"),
		Entry("an unknown kind", "cf:user:"+guid, `"user" is neither app, space nor org`),
		Entry("a GUID that is not one", "cf:app:not-a-guid", `app caller "not-a-guid" is not a GUID`),
		Entry("regex characters in the GUID", "cf:app:.*", "is not a GUID"),
		Entry("an empty string", "", "want cf:app:<guid>"),
		Entry("cf:any with a GUID", "cf:any:"+guid, `"any" is neither app, space nor org`),
	)
})

var _ = Describe("NewCaller", func() {
	It("refuses a kind it does not know", func() {
		_, err := source.NewCaller("user", guid)
		Expect(err).To(MatchError(ContainSubstring(`caller kind "user"`)))
	})
})

// FuzzParseCaller: whatever Cloud Controller sends, parsing never panics,
// and an accepted caller's principal contains only GUID characters after
// its kind, so it can go into a certificate matcher unescaped.
func FuzzParseCaller(f *testing.F) {
	for _, seed := range []string{"cf:any", "cf:app:" + guid, "cf:org:" + guid, "cf:space:x", "cf::", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := source.ParseCaller(in)
		if err != nil {
			return
		}
		if c.Kind != source.CallerAny && len(c.GUID) != 36 {
			t.Fatalf("accepted %q as %+v", in, c)
		}
	})
}
