package meshbench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/launch"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
)

// process is a running copilot, pilot or naive control plane.
type process struct {
	name   string
	status string // status server address
	pid    int    // 0 when it runs in this process
	stop   func() error
}

// usage reads the process's CPU and memory; an in-process one reports
// this whole process.
func (p *process) usage() Usage {
	u, _ := ReadUsage(p.pid)
	return u
}

// launcher starts the control plane's processes.
type launcher struct {
	binaries string // "" runs them in this process
	workDir  string
	// copilotMemoryLimit is the copilot's GOMEMLIMIT, as the copilot job's
	// go_memory_limit property sets it ("" leaves Go's default).
	copilotMemoryLimit string
}

func (l launcher) copilot(cfg copilot.Config) (*process, error) {
	if l.binaries != "" {
		var env []string
		if l.copilotMemoryLimit != "" {
			env = []string{"GOMEMLIMIT=" + l.copilotMemoryLimit}
		}
		return l.exec("copilot", filepath.Join(l.binaries, "copilot"), cfg.StatusAddress, cfg, env)
	}
	c, err := copilot.New(cfg, l.logger("copilot"), prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	return inProcess("copilot", cfg.StatusAddress, c.Run), nil
}

func (l launcher) pilot(cfg pilot.Config) (*process, error) {
	if l.binaries != "" {
		return l.exec("pilot", filepath.Join(l.binaries, "pilot"), cfg.StatusAddress, cfg, nil)
	}
	p, err := pilot.New(cfg, l.logger("pilot"), prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	return inProcess("pilot", cfg.StatusAddress, p.Run), nil
}

func (l launcher) naive(cfg NaiveConfig) (*process, error) {
	if l.binaries != "" {
		return l.exec("naive", filepath.Join(l.binaries, "meshbench"), cfg.StatusAddress, cfg, nil, "naive-pilot")
	}
	n, err := NewNaive(cfg, l.logger("naive"), prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	return inProcess("naive", cfg.StatusAddress, n.Run), nil
}

// logger writes an in-process component's log to <workdir>/<name>.log.
func (l launcher) logger(name string) lager.Logger {
	logger := lager.NewLogger(name)
	if f, err := os.OpenFile(filepath.Join(l.workDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
		logger.RegisterSink(lager.NewWriterSink(f, lager.INFO))
	}
	return logger
}

func inProcess(name, status string, run func(context.Context) error) *process {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	return &process{name: name, status: status, stop: func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("%s did not stop within 30s", name)
		}
	}}
}

// exec writes cfg as <workdir>/<name>.json and starts the binary with it
// and env added to this process's environment, its output in
// <workdir>/<name>.log. Stop sends SIGTERM and waits.
func (l launcher) exec(name, binary, status string, cfg any, env []string, args ...string) (*process, error) {
	configPath := filepath.Join(l.workDir, name+".json")
	if err := launch.WriteJSON(configPath, cfg); err != nil {
		return nil, err
	}
	out, err := os.Create(filepath.Join(l.workDir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, append(args, "-config", configPath)...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = childAttributes()
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); out.Close() }()
	return &process{name: name, status: status, pid: cmd.Process.Pid, stop: func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			return fmt.Errorf("%s did not stop within 30s of SIGTERM; killed", name)
		}
	}}, nil
}

// waitReady polls the process's /readyz until it answers 200.
func (p *process) waitReady(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if Ready(ctx, p.status) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w", p.name, ctx.Err())
		case <-tick.C:
		}
	}
}
