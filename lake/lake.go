// Package lake owns the shared lake directory: raw landing files per domain,
// published product snapshots, and staging for runs in progress. No other
// package touches these paths. It may import models (types only).
package lake

import (
	"fmt"
	"os"
	"path/filepath"
)

// Lake is the shared lake rooted at Dir.
type Lake struct {
	Dir string
}

// The top-level folders of the lake.
const (
	LandingDir  = "landing"
	ProductsDir = "products"
	StagingDir  = "_staging"
)

// Open creates the lake's layout under dir when missing and returns it.
func Open(dir string) (*Lake, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lake folder %s: %w", dir, err)
	}
	for _, sub := range []string{LandingDir, ProductsDir, StagingDir} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o750); err != nil {
			return nil, fmt.Errorf("create lake folder: %w", err)
		}
	}
	return &Lake{Dir: abs}, nil
}

// Check reports whether the lake is reachable and writable, by creating and
// removing a file in its staging folder.
func (l *Lake) Check() error {
	f, err := os.CreateTemp(filepath.Join(l.Dir, StagingDir), ".healthz-*")
	if err != nil {
		return fmt.Errorf("lake not writable: %w", err)
	}
	name := f.Name()
	if err := f.Close(); err != nil {
		return err
	}
	return os.Remove(name)
}
