//go:build !linux

package meshbench

import "syscall"

// childAttributes: only Linux ties a child's life to its parent's.
func childAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{}
}
