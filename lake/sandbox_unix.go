//go:build unix

package lake

import (
	"os"
	"os/exec"
	"strconv"
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
// It also lowers the child's CPU priority, so queries and runs that keep
// every core busy leave the server answering its pages at once.
func limitChild(addressSpace uint64) error {
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{}); err != nil {
		return err
	}
	lowerPriority()
	if addressSpace == 0 {
		return nil
	}
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: addressSpace, Max: addressSpace})
}

// childNice is the sandbox child's nice value: below the server's, so the
// scheduler gives the server the CPU when both want it.
const childNice = 10

// lowerPriority renices every thread of this process (Linux keeps a nice
// value per thread; threads started later inherit their creator's). Best
// effort: raising one's own nice value needs no privilege.
func lowerPriority() {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, childNice)
		return
	}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, childNice)
		}
	}
}
