package xdsserver

import (
	"bytes"

	"code.cloudfoundry.org/lager/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// formatCounter counts how often it is formatted.
type formatCounter struct{ n *int }

func (c formatCounter) String() string { *c.n++; return "watched-resources" }

var _ = Describe("cacheLogger", func() {
	logAt := func(level lager.LogLevel) (*bytes.Buffer, *int) {
		var out bytes.Buffer
		logger := lager.NewLogger("test")
		logger.RegisterSink(lager.NewWriterSink(&out, level))
		formatted := 0
		l := cacheLogger(logger)
		l.Debugf("watch %d tracks %v", 7, formatCounter{&formatted})
		l.Infof("watch %d tracks %v", 8, formatCounter{&formatted})
		return &out, &formatted
	}

	It("does not format debug or info messages a sink drops", func() {
		out, formatted := logAt(lager.INFO)
		Expect(*formatted).To(BeZero())
		Expect(out.String()).To(BeEmpty())
	})

	It("formats them when a sink writes them", func() {
		out, formatted := logAt(lager.DEBUG)
		Expect(*formatted).To(Equal(2))
		Expect(out.String()).To(ContainSubstring(`"message":"watch 7 tracks watched-resources"`))
		Expect(out.String()).To(ContainSubstring(`"message":"watch 8 tracks watched-resources"`))
	})
})
