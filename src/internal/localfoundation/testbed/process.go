package testbed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// stopGrace is how long Stop waits after SIGTERM before it kills.
const stopGrace = 15 * time.Second

// Process is a copilot or pilot child process that can be stopped, killed
// and started again with the same configuration, as monit restarts a job.
// Its output is appended to one log file across restarts.
type Process struct {
	name, binary, statusAddress, logPath string
	args                                 []string
	// readyURL answers 200 once the process serves.
	readyURL     string
	readyTimeout time.Duration
	logger       lager.Logger

	mu      sync.Mutex
	cmd     *exec.Cmd
	logFile *os.File
	done    chan struct{}
	exitErr error
}

// newProcess describes a copilot or pilot: `<binary> -config <config>`,
// ready when its status server's /readyz says so.
func newProcess(name, binary, config, statusAddress, logPath string, readyTimeout time.Duration, logger lager.Logger) *Process {
	return &Process{name: name, binary: binary, args: []string{"-config", config}, statusAddress: statusAddress,
		readyURL: "http://" + statusAddress + "/readyz", logPath: logPath, readyTimeout: readyTimeout, logger: logger.Session(name)}
}

// Name is "copilot" or "pilot".
func (p *Process) Name() string { return p.name }

// StatusAddress serves the process's /metrics, /readyz and /debug/... .
func (p *Process) StatusAddress() string { return p.statusAddress }

// LogPath is the file its stdout and stderr go to.
func (p *Process) LogPath() string { return p.logPath }

// Start runs the process and waits until it is ready (/readyz answers
// 200), it exits, ctx ends or the ready timeout passes.
func (p *Process) Start(ctx context.Context) error {
	done, err := p.spawn()
	if err != nil {
		return err
	}
	return p.waitReady(ctx, done)
}

func (p *Process) spawn() (chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return nil, fmt.Errorf("%s is already running (pid %d)", p.name, p.cmd.Process.Pid)
	}
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", p.name, err)
	}
	cmd := exec.Command(p.binary, p.args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childAttributes()
	done := make(chan struct{})
	started := make(chan error, 1)
	go func() {
		// The child's parent-death signal follows the OS thread that started
		// it, so that thread stays this goroutine's until the child exits.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		err := cmd.Wait()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(done)
	}()
	if err := <-started; err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", p.name, err)
	}
	p.cmd, p.logFile, p.done, p.exitErr = cmd, logFile, done, nil
	p.logger.Info("process-started", lager.Data{"pid": cmd.Process.Pid, "args": p.args, "log": p.logPath})
	return done, nil
}

func (p *Process) waitReady(ctx context.Context, done chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, p.readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		if ready(ctx, client, p.readyURL) {
			p.logger.Info("process-ready")
			return nil
		}
		select {
		case <-done:
			p.mu.Lock()
			err := p.exitErr
			p.mu.Unlock()
			return fmt.Errorf("%s exited before it was ready (%v); see %s", p.name, err, p.logPath)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w; see %s", p.name, p.readyTimeout, ctx.Err(), p.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func ready(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Running reports whether the process is running.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// PID is the running process's ID, 0 when it is not running: a spec that
// must see no restart compares it before and after.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	select {
	case <-p.done:
		return 0
	default:
		return p.cmd.Process.Pid
	}
}

// Stop sends SIGTERM, as monit and bpm do, and waits for the process to
// exit; after 15 seconds it kills it. Stopping a stopped process does
// nothing.
func (p *Process) Stop() error {
	return p.end(syscall.SIGTERM, stopGrace)
}

// Kill sends SIGKILL (a crash, an OOM kill, a VM lost) and waits for the
// process to be gone.
func (p *Process) Kill() error {
	return p.end(syscall.SIGKILL, 0)
}

func (p *Process) end(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	cmd, done, logFile := p.cmd, p.done, p.logFile
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %w", p.name, err)
	}
	if grace > 0 {
		select {
		case <-done:
		case <-time.After(grace):
			p.logger.Info("process-did-not-stop-in-time", lager.Data{"grace": grace.String()})
			_ = cmd.Process.Kill()
		}
	}
	<-done
	logFile.Close()
	p.mu.Lock()
	p.cmd, p.logFile = nil, nil
	exitErr := p.exitErr
	p.mu.Unlock()
	p.logger.Info("process-ended", lager.Data{"signal": sig.String(), "pid": cmd.Process.Pid, "exit": fmt.Sprint(exitErr)})
	return nil
}
