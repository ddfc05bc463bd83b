package testbed_test

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// fakeProcessEnv makes the test binary behave as a copilot or pilot would
// towards the harness: `-config FILE`, where FILE holds the status address
// it serves /readyz and /metrics on, until SIGTERM. With the value "exit"
// it exits at once instead.
const fakeProcessEnv = "TESTBED_FAKE_PROCESS"

func runFakeProcess(args []string) int {
	if os.Getenv(fakeProcessEnv) == "exit" {
		fmt.Println("fake process: exiting on purpose")
		return 3
	}
	if len(args) != 2 || args[0] != "-config" {
		fmt.Println("fake process: want -config FILE, got", args)
		return 2
	}
	address, err := os.ReadFile(args[1])
	if err != nil {
		fmt.Println("fake process:", err)
		return 2
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ready") })
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# HELP fake_total A counter.\n# TYPE fake_total counter\nfake_total{result=\"success\"} 3\nfake_total{result=\"failure\"} 1\n")
	})
	server := &http.Server{Addr: strings.TrimSpace(string(address)), Handler: mux}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	go func() { <-stop; server.Close() }()
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Println("fake process:", err)
		return 1
	}
	fmt.Println("fake process: stopped by SIGTERM")
	return 0
}
