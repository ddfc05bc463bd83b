//go:build !linux

package testbed

import "syscall"

// childAttributes: only Linux can tie a child's life to its parent's; on
// other systems Foundation.Stop is the only thing that ends the processes.
func childAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{}
}
