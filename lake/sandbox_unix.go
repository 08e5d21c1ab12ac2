//go:build unix

package lake

import (
	"os/exec"
	"syscall"
)

// setChildAttrs puts the child in a process group of its own, so a kill
// reaches anything it started and a terminal's Ctrl-C does not.
func setChildAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killChild kills the child's whole process group.
func killChild(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}

// limitChild is the child's own second fence: address space (behind
// DuckDB's memory_limit) and no core files (they would hold user data).
func limitChild(addressSpace uint64) error {
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{}); err != nil {
		return err
	}
	if addressSpace == 0 {
		return nil
	}
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: addressSpace, Max: addressSpace})
}
