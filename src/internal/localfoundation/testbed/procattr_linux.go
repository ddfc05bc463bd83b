package testbed

import "syscall"

// childAttributes makes the kernel kill a copilot or pilot when the test
// process dies without stopping it (a test binary hitting its -timeout), so
// no child outlives a run.
func childAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
