package lake

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// LandingFile is one raw file of a domain's landing folder.
type LandingFile struct {
	Path    string // relative to landing/<domain>, with / separators
	Size    int64
	ModTime time.Time
	Format  string // csv, json, parquet, or "" when Plaza cannot read it
}

// FormatOf says how a landing file is read, by its extension (a .gz or
// .zst suffix is looked through): "csv", "json", "parquet", or "" when
// Plaza cannot read it. The sandbox reads inputs by the same rule.
func FormatOf(name string) string { return formatOf(name) }

// ListLanding lists the regular files under landing/<domain>, sorted by
// path. Hidden files (uploads in progress) and symlinks are left out.
func (l *Lake) ListLanding(domain string) ([]LandingFile, error) {
	root, err := l.LandingPath(domain)
	if err != nil {
		return nil, err
	}
	var out []LandingFile
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != root {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		out = append(out, LandingFile{Path: rel, Size: info.Size(), ModTime: info.ModTime().UTC(), Format: FormatOf(rel)})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// LandingFileAt describes one landing file, which must be a regular file.
func (l *Lake) LandingFileAt(domain, rel string) (*LandingFile, string, error) {
	p, err := l.LandingPath(domain, rel)
	if err != nil {
		return nil, "", err
	}
	info, err := os.Lstat(p)
	if err != nil {
		return nil, "", fmt.Errorf("landing file %s: %w", rel, err)
	}
	if !info.Mode().IsRegular() {
		return nil, "", fmt.Errorf("landing file %s is not a regular file", rel)
	}
	return &LandingFile{Path: rel, Size: info.Size(), ModTime: info.ModTime().UTC(), Format: FormatOf(rel)}, p, nil
}

// ErrTooLarge is returned by SaveLanding when the upload passes its limit.
var ErrTooLarge = errors.New("upload too large")

// SaveLanding streams r into landing/<domain>/<rel>, at most limit bytes:
// it writes a hidden temporary file beside the target and renames it into
// place when complete, so pipelines never read half an upload. An existing
// file is replaced.
func (l *Lake) SaveLanding(domain, rel string, r io.Reader, limit int64) (int64, error) {
	dst, err := l.LandingPath(domain, rel)
	if err != nil {
		return 0, err
	}
	if strings.HasPrefix(filepath.Base(dst), ".") {
		return 0, fmt.Errorf("a landing file name cannot start with a dot")
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return 0, fmt.Errorf("landing folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".upload-*")
	if err != nil {
		return 0, fmt.Errorf("landing upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(r, limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("landing upload: %w", err)
	}
	if n > limit {
		return n, ErrTooLarge
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return n, fmt.Errorf("landing upload: %w", err)
	}
	return n, nil
}

// RemoveLanding deletes one landing file.
func (l *Lake) RemoveLanding(domain, rel string) error {
	_, p, err := l.LandingFileAt(domain, rel)
	if err != nil {
		return err
	}
	return os.Remove(p)
}
