package lake

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoFiles is returned by ResolveLanding when a glob matches no file.
var ErrNoFiles = errors.New("no landing file matches")

// SandboxDir is the folder under _staging where sandbox jobs get their
// scratch space. It starts with a dot, so no run's staging folder can take
// its name.
const SandboxDir = ".sandbox"

// LandingPath returns the path of rel under landing/<domain>. It refuses
// anything that could leave that folder: an empty or odd domain, absolute
// parts, "..", NUL, and a path through a symlink that already exists.
func (l *Lake) LandingPath(domain string, rel ...string) (string, error) {
	if err := checkElement("domain", domain); err != nil {
		return "", err
	}
	root := filepath.Join(l.Dir, LandingDir, domain)
	parts, err := relParts(strings.Join(rel, "/"))
	if err != nil {
		return "", err
	}
	p := root
	for _, part := range parts {
		p = filepath.Join(p, part)
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			break // the rest does not exist yet: nothing to follow
		}
		if err != nil {
			return "", fmt.Errorf("landing path: %w", err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("landing path %s: %s is a symlink", strings.Join(parts, "/"), part)
		}
	}
	return filepath.Join(append([]string{root}, parts...)...), nil
}

// ResolveLanding expands a glob under landing/<domain> to the regular files
// it matches, sorted. Segments match like path.Match, and a "**" segment
// matches any number of folders. Names starting with a dot (uploads in
// progress) match only a pattern segment that starts with a dot too. A
// symlink, device or pipe that matches is an error naming it, and so is a
// file whose name DuckDB would read as a glob itself; nothing matching is
// ErrNoFiles.
func (l *Lake) ResolveLanding(domain, glob string) ([]string, error) {
	if err := checkElement("domain", domain); err != nil {
		return nil, err
	}
	pattern, err := relParts(glob)
	if err != nil {
		return nil, err
	}
	if len(pattern) == 0 {
		return nil, fmt.Errorf("landing glob is empty")
	}
	for _, seg := range pattern {
		if _, err := path.Match(seg, ""); err != nil {
			return nil, fmt.Errorf("landing glob %q: %w", glob, err)
		}
	}
	root := filepath.Join(l.Dir, LandingDir, domain)
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		segs := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			if !matchPrefix(pattern, segs) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 && (matchGlob(pattern, segs) || matchPrefix(pattern, segs)) {
			// The walk never follows one; say so rather than skip it.
			return fmt.Errorf("landing file %s is a symlink: only regular files are read", rel)
		}
		if !matchGlob(pattern, segs) {
			return nil
		}
		switch {
		case !d.Type().IsRegular():
			return fmt.Errorf("landing file %s is not a regular file", rel)
		case strings.ContainsAny(d.Name(), "*?[]{}\\"):
			return fmt.Errorf("landing file %s has a glob character in its name: rename it", rel)
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("landing %s: %w", domain, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w %q in %s", ErrNoFiles, glob, domain)
	}
	slices.Sort(files)
	return files, nil
}

// SnapshotDir is the folder of one published snapshot:
// products/<domain>/<product>/<port>/<snapshot>. Its arguments are slugs
// and names the models validated; one that is not a single path element
// (empty, ".", "..", a separator, NUL) is a bug, and it panics rather than
// point outside the lake.
func (l *Lake) SnapshotDir(domain, product, port, snapshot string) string {
	for _, e := range []string{domain, product, port, snapshot} {
		if err := checkElement("snapshot folder", e); err != nil {
			panic("lake.SnapshotDir: " + err.Error())
		}
	}
	return filepath.Join(l.Dir, ProductsDir, domain, product, port, snapshot)
}

// StagingDir creates _staging/<runID>/ when missing and returns it.
// Names starting with a dot are the lake's own (SandboxDir).
func (l *Lake) StagingDir(runID string) (string, error) {
	if err := checkElement("run id", runID); err != nil {
		return "", err
	}
	if strings.HasPrefix(runID, ".") {
		return "", fmt.Errorf("run id %q: must not start with a dot", runID)
	}
	dir := filepath.Join(l.Dir, StagingDir, runID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("staging folder: %w", err)
	}
	return dir, nil
}

// SandboxScratchDir is where the sandbox makes each job's scratch folder
// (SandboxConfig.ScratchDir): _staging/.sandbox.
func (l *Lake) SandboxScratchDir() string {
	return filepath.Join(l.Dir, StagingDir, SandboxDir)
}

// checkElement accepts one plain path element.
func checkElement(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s is empty", what)
	case s == "." || s == "..":
		return fmt.Errorf("%s %q is not a name", what, s)
	case strings.ContainsAny(s, "/\\\x00"):
		return fmt.Errorf("%s %q contains a separator or NUL", what, s)
	}
	return nil
}

// relParts splits a relative slash path into its elements, refusing
// absolute paths, "..", NUL and backslashes; "." and empty elements drop.
func relParts(rel string) ([]string, error) {
	switch {
	case strings.ContainsRune(rel, 0):
		return nil, fmt.Errorf("path %q contains NUL", rel)
	case strings.ContainsRune(rel, '\\'):
		return nil, fmt.Errorf("path %q contains a backslash", rel)
	case strings.HasPrefix(rel, "/") || filepath.IsAbs(rel):
		return nil, fmt.Errorf("path %q is absolute", rel)
	}
	var parts []string
	for _, p := range strings.Split(rel, "/") {
		switch p {
		case "", ".":
			continue
		case "..":
			return nil, fmt.Errorf("path %q leaves its folder (..)", rel)
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// matchGlob reports whether the path segments match the pattern segments;
// "**" matches zero or more segments.
func matchGlob(pattern, segs []string) bool {
	if len(pattern) == 0 {
		return len(segs) == 0
	}
	if pattern[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if i > 0 && strings.HasPrefix(segs[i-1], ".") {
				return false // ** does not walk into hidden folders
			}
			if matchGlob(pattern[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	return len(segs) > 0 && matchSegment(pattern[0], segs[0]) && matchGlob(pattern[1:], segs[1:])
}

// matchPrefix reports whether a folder's segments could lead to a match,
// so the walk skips folders that cannot.
func matchPrefix(pattern, segs []string) bool {
	if len(segs) == 0 {
		return true
	}
	if len(pattern) == 0 {
		return false
	}
	if pattern[0] == "**" {
		if strings.HasPrefix(segs[0], ".") {
			return matchPrefix(pattern[1:], segs)
		}
		return matchPrefix(pattern, segs[1:]) || matchPrefix(pattern[1:], segs)
	}
	return matchSegment(pattern[0], segs[0]) && matchPrefix(pattern[1:], segs[1:])
}

func matchSegment(pattern, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") {
		return false
	}
	ok, _ := path.Match(pattern, name)
	return ok
}
