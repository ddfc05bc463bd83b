package localfoundation

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// child is one cf-mesh process the foundation runs.
type child struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
}

// startChild runs binary with args, logging to <workdir>/<name>.log.
func startChild(workDir, name, binary string, args ...string) (*child, error) {
	log, err := os.Create(filepath.Join(workDir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	return c, nil
}

// stop asks the process to stop (SIGTERM, as monit and bpm do) and kills it
// if it has not stopped within 10 seconds.
func (c *child) stop() {
	defer c.log.Close()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// waitReady polls a status server's /readyz until it answers 200, the
// process exits, or the timeout passes.
func waitReady(ctx context.Context, c *child, statusAddress string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get("http://" + statusAddress + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited before it was ready (%v); see %s", c.name, c.err, c.log.Name())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s; see %s", c.name, timeout, c.log.Name())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
