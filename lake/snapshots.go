package lake

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Publish moves a run's staged output folder into place as the snapshot
// name of a product's port, with one rename: readers see the whole
// snapshot or none of it. The database makes it current afterwards.
func (l *Lake) Publish(staging, domain, product, port, name string) (string, error) {
	dst := l.SnapshotDir(domain, product, port, name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", fmt.Errorf("publish: %w", err)
	}
	if err := os.Rename(staging, dst); err != nil {
		return "", fmt.Errorf("publish %s: %w", name, err)
	}
	return dst, nil
}

// RemoveSnapshot deletes a snapshot's files (retention, or a publish the
// database refused).
func (l *Lake) RemoveSnapshot(domain, product, port, name string) error {
	dir := l.SnapshotDir(domain, product, port, name)
	if !strings.HasPrefix(dir, filepath.Join(l.Dir, ProductsDir)+string(filepath.Separator)) {
		return fmt.Errorf("remove snapshot: %s is outside the lake", dir)
	}
	return os.RemoveAll(dir)
}

// SnapshotFiles lists the Parquet files of a snapshot, sorted.
func (l *Lake) SnapshotFiles(domain, product, port, name string) ([]string, error) {
	dir := l.SnapshotDir(domain, product, port, name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s/%s/%s/%s: %w", domain, product, port, name, err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".parquet") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("snapshot %s/%s/%s/%s has no Parquet files", domain, product, port, name)
	}
	sort.Strings(out)
	return out, nil
}

// SnapshotName names a new snapshot folder: the time and the run, so names
// sort in publish order.
func SnapshotName(at time.Time, runID uint) string {
	return at.UTC().Format("20060102T150405Z") + fmt.Sprintf("-r%d", runID)
}

// CleanReport says what Clean removed.
type CleanReport struct {
	Staging   int // run folders left by crashed or finished runs
	Snapshots int // snapshot folders no snapshot row names
}

// Clean removes staging folders older than minAge whose run is not
// active, and snapshot folders that no kept snapshot names (a run that
// crashed between the rename and the commit). keep holds
// "domain/product/port/name" of every kept snapshot; active says whether a
// staging folder's run is still going.
func (l *Lake) Clean(keep map[string]bool, active func(stagingName string) bool, minAge time.Duration) (CleanReport, error) {
	var rep CleanReport
	staging := filepath.Join(l.Dir, StagingDir)
	entries, err := os.ReadDir(staging)
	if err != nil {
		return rep, err
	}
	cutoff := time.Now().Add(-minAge)
	for _, e := range entries {
		info, err := e.Info()
		// .sandbox holds the scratch folders of running sandbox jobs.
		if err != nil || !e.IsDir() || strings.HasPrefix(e.Name(), ".") || info.ModTime().After(cutoff) || active(e.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(staging, e.Name())); err == nil {
			rep.Staging++
		}
	}
	products := filepath.Join(l.Dir, ProductsDir)
	err = filepath.WalkDir(products, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || path == products {
			return nil
		}
		rel, _ := filepath.Rel(products, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) < 4 {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(cutoff) {
			return filepath.SkipDir
		}
		if !keep[strings.Join(parts[:4], "/")] {
			if err := os.RemoveAll(path); err == nil {
				rep.Snapshots++
			}
		}
		return filepath.SkipDir
	})
	return rep, err
}
