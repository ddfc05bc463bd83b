package meshbench

import "syscall"

// childAttributes makes the kernel kill a child process when the harness
// dies without stopping it, so no copilot or pilot outlives a run.
func childAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
