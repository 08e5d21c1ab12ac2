//go:build !unix

package lake

import "os/exec"

func setChildAttrs(cmd *exec.Cmd) {}

func killChild(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// limitChild has no rlimits to set here; memory_limit is the only fence.
func limitChild(addressSpace uint64) error { return nil }
