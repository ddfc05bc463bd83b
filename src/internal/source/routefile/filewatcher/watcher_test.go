package filewatcher_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routefile/filewatcher"
)

const (
	oneRoute = `
routes:
- host: a.example.com
  destinations: [{app_guid: app-a}]
`
	twoRoutes = oneRoute + `- host: b.example.com
  destinations: [{app_guid: app-b}]
`
	badWeights = `
routes:
- host: a.example.com
  destinations: [{app_guid: app-a, weight: 50}]
`
)

type recorder struct {
	mu     sync.Mutex
	values []source.DesiredRoutes
}

func (r *recorder) publish(v source.DesiredRoutes) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.values = append(r.values, v)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.values)
}

// hosts lists the hosts of the last published routes.
func (r *recorder) hosts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.values) == 0 {
		return nil
	}
	hosts := []string{}
	for _, route := range r.values[len(r.values)-1].Routes {
		hosts = append(hosts, route.Host)
	}
	return hosts
}

var _ = Describe("Watcher", func() {
	var (
		path   string
		logger *lagertest.TestLogger
		rec    *recorder
		w      *filewatcher.Watcher
	)

	write := func(content string) {
		// Write beside the file and rename, as config management does.
		tmp := path + ".tmp"
		ExpectWithOffset(1, os.WriteFile(tmp, []byte(content), 0o600)).To(Succeed())
		ExpectWithOffset(1, os.Rename(tmp, path)).To(Succeed())
	}

	logged := func(action string) func() int {
		return func() int {
			n := 0
			for _, m := range logger.LogMessages() {
				if strings.HasSuffix(m, ".route-file-watcher."+action) {
					n++
				}
			}
			return n
		}
	}

	run := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		DeferCleanup(func() {
			cancel()
			Eventually(done, 5*time.Second).Should(Receive(BeNil()))
		})
	}

	BeforeEach(func() {
		path = filepath.Join(GinkgoT().TempDir(), "routes.yml")
		logger = lagertest.NewTestLogger("test")
		rec = &recorder{}
		w = filewatcher.New(path, 10*time.Millisecond, logger, rec.publish)
	})

	Context("with a good file at start", func() {
		BeforeEach(func() {
			write(oneRoute)
			run()
			Eventually(rec.count, 5*time.Second).Should(Equal(1))
		})

		It("publishes the file's routes", func() {
			Expect(rec.hosts()).To(Equal([]string{"a.example.com"}))
		})

		It("publishes an edit", func() {
			write(twoRoutes)
			Eventually(rec.hosts, 5*time.Second).Should(Equal([]string{"a.example.com", "b.example.com"}))
			Expect(rec.count()).To(Equal(2))
		})

		It("keeps the last good routes through a broken edit, and publishes the fix", func() {
			write(badWeights)

			Eventually(logged("route-file-rejected"), 5*time.Second).Should(Equal(1))
			Expect(rec.count()).To(Equal(1))
			Expect(rec.hosts()).To(Equal([]string{"a.example.com"}))
			Expect(logger.Buffer()).To(gbytes.Say(`routes\[0\] \(a.example.com\): weights sum to 50, must sum to 100`))

			write(twoRoutes)

			Eventually(rec.hosts, 5*time.Second).Should(Equal([]string{"a.example.com", "b.example.com"}))
			Expect(logged("route-file-rejected")()).To(Equal(1), "a bad file is logged once, not on every poll")
		})

		It("publishes nothing when only the file's form changes", func() {
			write("# reformatted\n" + oneRoute)

			Eventually(logged("routes-unchanged"), 5*time.Second).Should(Equal(1))
			Expect(rec.count()).To(Equal(1))
		})

		It("keeps the last good routes when the file disappears", func() {
			Expect(os.Remove(path)).To(Succeed())

			Eventually(logged("route-file-unreadable"), 5*time.Second).Should(Equal(1))
			Expect(rec.count()).To(Equal(1))

			write(twoRoutes)
			Eventually(rec.count, 5*time.Second).Should(Equal(2))
		})
	})

	It("publishes nothing until a missing file appears", func() {
		run()
		Eventually(logged("route-file-unreadable"), 5*time.Second).Should(Equal(1))
		Expect(rec.count()).To(Equal(0))

		write(oneRoute)

		Eventually(rec.hosts, 5*time.Second).Should(Equal([]string{"a.example.com"}))
	})

	It("publishes nothing from a bad file at start, and the routes once it is fixed", func() {
		write(badWeights)
		run()
		Eventually(logged("route-file-rejected"), 5*time.Second).Should(Equal(1))
		Expect(rec.count()).To(Equal(0))

		write(oneRoute)

		Eventually(rec.hosts, 5*time.Second).Should(Equal([]string{"a.example.com"}))
	})

	It("publishes an empty route list from a file with no routes", func() {
		write("routes: []\n")
		run()
		Eventually(rec.count, 5*time.Second).Should(Equal(1))
		Expect(rec.hosts()).To(BeEmpty())
	})

	It("runs once", func() {
		write(oneRoute)
		run()
		Eventually(rec.count, 5*time.Second).Should(Equal(1))
		Expect(w.Run(context.Background())).To(MatchError("filewatcher: Run may be called only once"))
	})
})
