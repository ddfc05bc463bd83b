package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("meshapp", func() {
	get := func(h http.Handler, path string) (int, string, http.Header) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Body)
		return rec.Code, strings.TrimSpace(string(body)), rec.Header()
	}

	DescribeTable("knows who it is",
		func(vcap, index, want string) { Expect(Identity(vcap, index)).To(Equal(want)) },
		Entry("on Cloud Foundry", `{"application_name":"hola","space_name":"s"}`, "2", "hola/2"),
		Entry("outside", "", "", "meshapp/0"),
		Entry("with broken VCAP_APPLICATION", `{`, "1", "meshapp/1"),
	)

	It("answers every path with its identity, in the body and a header", func() {
		app := New("hello/0", http.DefaultClient)
		for _, path := range []string{"/", "/hola", "/hola/x"} {
			status, body, header := get(app, path)
			Expect(status).To(Equal(http.StatusOK))
			Expect(body).To(Equal("hello/0"))
			Expect(header.Get(IDHeader)).To(Equal("hello/0"))
		}
	})

	It("calls another app under /proxy/ and relays its answer", func() {
		other := httptest.NewServer(New("backend/1", http.DefaultClient))
		DeferCleanup(other.Close)
		app := New("frontend/0", other.Client())
		status, body, _ := get(app, "/proxy/"+strings.TrimPrefix(other.URL, "http://")+"/anything")
		Expect(status).To(Equal(http.StatusOK))
		Expect(body).To(Equal("backend/1"))
	})

	It("says 502 when the other app cannot be reached, and 400 without a host", func() {
		app := New("frontend/0", http.DefaultClient)
		status, body, _ := get(app, "/proxy/127.0.0.1:1/")
		Expect(status).To(Equal(http.StatusBadGateway))
		Expect(body).To(HavePrefix("proxy:"))
		status, _, _ = get(app, "/proxy/")
		Expect(status).To(Equal(http.StatusBadRequest))
	})
})
