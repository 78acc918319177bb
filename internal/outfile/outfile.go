// Package outfile writes the files gcwatch produces — reports, the plots
// beside a Markdown report, pprof profiles — under one rule:
//
//   - never over an input: a target that is the same file as anything the
//     run reads (compared by file identity, so another name or a hard link
//     of an input is caught too) is refused;
//   - never over a special file: a target that exists and is not a regular
//     file (a named pipe, a device, a socket, a folder) is refused;
//   - never a partial file: every file is written to a temporary file in
//     its target's folder and renamed over the target only once the whole
//     output (a report and all its plots) has been written; on an error
//     nothing is replaced and the temporary files are removed.
//
// A symbolic link as the target is followed: the file it points to is
// replaced and the link kept. Refusals are one line naming the file.
package outfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Guard knows the run's inputs and refuses to write over them.
type Guard struct {
	// ids maps each protected file's identity to the input argument that
	// protects it (the file itself, or the folder it is in): a folder of
	// many files costs a map entry each, not a path and a FileInfo.
	ids map[fileID]string
	// others are the files whose identity the platform does not expose as
	// a device and inode; they are compared with os.SameFile.
	others []input
	names  []string // every input named, as an absolute path, found or not
}

type input struct {
	name string
	info fs.FileInfo
}

// fileID is a file's identity: device and inode.
type fileID struct{ dev, ino uint64 }

// idOf returns fi's identity, when the platform gives one.
func idOf(fi fs.FileInfo) (fileID, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(st.Dev), uint64(st.Ino)}, true
	}
	return fileID{}, false
}

// protect records one file, protected by the input argument from.
func (g *Guard) protect(fi fs.FileInfo, path, from string) {
	if id, ok := idOf(fi); ok {
		if _, seen := g.ids[id]; !seen {
			g.ids[id] = from
		}
		return
	}
	g.others = append(g.others, input{path, fi})
}

// Protect returns a guard for the given inputs. A file is protected
// itself; a folder protects every regular file below it but those skip
// accepts (IsOutput: gcwatch's own reports and plots, which a later run
// may replace). Paths that do not exist, and "-", are ignored.
func Protect(paths []string, skip func(name string) bool) *Guard {
	g := &Guard{ids: map[fileID]string{}}
	g.Add(paths, skip)
	return g
}

// Add protects more inputs, as Protect does.
func (g *Guard) Add(paths []string, skip func(name string) bool) {
	for _, p := range paths {
		if p == "" || p == "-" {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			g.names = append(g.names, abs)
		}
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !st.IsDir() {
			g.protect(st, p, p)
			continue
		}
		filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			if skip != nil && skip(path) {
				return nil
			}
			if info, err := d.Info(); err == nil {
				g.protect(info, path, p)
			}
			return nil
		})
	}
}

// Check reports, in one line, why path may not be written: it is an
// input, or an existing file that is not a regular file. nil means the
// file may be created or replaced.
func (g *Guard) Check(path string) error {
	_, err := g.resolve(path)
	return err
}

// resolve follows a symbolic link at path and checks the target.
func (g *Guard) resolve(path string) (string, error) {
	target := path
	if l, err := os.Lstat(path); err == nil && l.Mode()&fs.ModeSymlink != 0 {
		t, err := filepath.EvalSymlinks(path)
		if err != nil {
			return "", fmt.Errorf("%s is a symbolic link that leads nowhere (%v); not written", path, errors.Unwrap(err))
		}
		target = t
	}
	if abs, err := filepath.Abs(path); err == nil && slices.Contains(g.names, abs) {
		return "", fmt.Errorf("%s is an input; not overwritten", path)
	}
	st, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return target, nil
	case err != nil:
		return "", fmt.Errorf("cannot write %s: %v", path, errors.Unwrap(err))
	case !st.Mode().IsRegular():
		return "", fmt.Errorf("%s is %s, not a regular file; gcwatch writes only regular files (leave out -o to write to standard output)", path, kind(st.Mode()))
	}
	if id, ok := idOf(st); ok {
		if from, found := g.ids[id]; found {
			return "", refusal(path, from)
		}
	}
	for _, in := range g.others {
		if os.SameFile(st, in.info) {
			return "", refusal(path, in.name)
		}
	}
	return target, nil
}

// refusal says that path is the input from, or a file of the input
// folder from, perhaps under another name.
func refusal(path, from string) error {
	if sameName(from, path) || within(path, from) {
		return fmt.Errorf("%s is an input; not overwritten", path)
	}
	if st, err := os.Stat(from); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a file of the input folder %s under another name; not overwritten", path, from)
	}
	return fmt.Errorf("%s is the input %s under another name; not overwritten", path, from)
}

// within reports whether path lies inside the folder dir.
func within(path, dir string) bool {
	ap, err1 := filepath.Abs(path)
	ad, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(ad, ap)
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..")
}

func sameName(a, b string) bool {
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}

// Same reports whether a and b name the same file: the same path, or the
// same existing file under two names (a hard or symbolic link).
func Same(a, b string) bool {
	if sameName(a, b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// Write writes one file through write, as a Set of one.
func (g *Guard) Write(path string, write func(io.Writer) error) error {
	s := g.NewSet()
	w, err := s.Create(path)
	if err != nil {
		return err
	}
	if err := write(w); err != nil {
		s.Abort()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return s.Commit()
}

// Set is a group of files written together: a report and the plots
// beside it. Each is written to a temporary file; Commit puts them all in
// place, Abort removes them.
type Set struct {
	g     *Guard
	files []*pending
	dirs  []string // folders the set made, removed on Abort when empty
}

type pending struct {
	path, target string
	tmp          *os.File
	closed       bool
}

// NewSet starts a group of files.
func (g *Guard) NewSet() *Set { return &Set{g: g} }

// Create checks path and returns a writer to its temporary file. The
// folder it goes in is made when missing.
func (s *Set) Create(path string) (io.WriteCloser, error) {
	for _, p := range s.files {
		if sameName(p.path, path) {
			return nil, fmt.Errorf("%s is written twice in one report", path)
		}
	}
	target, err := s.g.resolve(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(target)
	if err := s.mkdirAll(dir); err != nil {
		return nil, fmt.Errorf("cannot write %s: %v", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %v", path, unwrapPath(err))
	}
	p := &pending{path: path, target: target, tmp: tmp}
	s.files = append(s.files, p)
	return p, nil
}

func (p *pending) Write(b []byte) (int, error) { return p.tmp.Write(b) }

func (p *pending) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	return p.tmp.Close()
}

// mkdirAll makes dir and the missing folders above it, remembering which
// it made.
func (s *Set) mkdirAll(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a folder", d)
			}
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return unwrapPath(err)
		}
		s.dirs = append(s.dirs, missing[i])
	}
	return nil
}

// Commit closes every file and renames each over its target. Every
// target is checked again first, so that nothing is replaced unless all
// can be.
func (s *Set) Commit() error {
	for _, p := range s.files {
		if err := p.Close(); err != nil {
			s.Abort()
			return fmt.Errorf("writing %s: %v", p.path, unwrapPath(err))
		}
	}
	for _, p := range s.files {
		if _, err := s.g.resolve(p.path); err != nil {
			s.Abort()
			return err
		}
	}
	for _, p := range s.files {
		mode := fs.FileMode(0o644)
		if st, err := os.Stat(p.target); err == nil {
			mode = st.Mode().Perm()
		}
		if err := os.Chmod(p.tmp.Name(), mode); err != nil {
			s.Abort()
			return fmt.Errorf("writing %s: %v", p.path, unwrapPath(err))
		}
		if err := os.Rename(p.tmp.Name(), p.target); err != nil {
			s.Abort()
			return fmt.Errorf("writing %s: %v", p.path, unwrapPath(err))
		}
		p.tmp = nil
	}
	s.files = nil
	return nil
}

// Abort removes every temporary file not yet renamed, and the folders the
// set made that are left empty.
func (s *Set) Abort() {
	for _, p := range s.files {
		if p.tmp != nil {
			p.Close()
			os.Remove(p.tmp.Name())
		}
	}
	s.files = nil
	for i := len(s.dirs) - 1; i >= 0; i-- {
		os.Remove(s.dirs[i]) // fails, as it should, when not empty
	}
	s.dirs = nil
}

// CreateNew creates path for a capture's artefact: only when nothing is
// there yet, so that a capture never replaces a file (captures go into new
// or empty folders; this makes sure of it).
func CreateNew(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
}

// WriteNew writes data to path with CreateNew; on an error nothing is
// left behind.
func WriteNew(path string, data []byte) error {
	f, err := CreateNew(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// unwrapPath drops the operation and path from an *fs.PathError, whose
// path would be the temporary file's.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// IsOutput reports whether a file in an input folder is one of
// gcwatch's own outputs, which a later run may replace: a report
// (report.txt, .json, .md or .html, which no reader takes as an input),
// or a plot (.png or .svg) that holds a PNG or SVG image. Anything else
// under those names — a trace copied to heap.png, say — stays protected.
func IsOutput(path string) bool {
	name := strings.ToLower(filepath.Base(path))
	switch name {
	case "report.txt", "report.json", "report.md", "report.html":
		return true
	}
	ext := filepath.Ext(name)
	if ext != ".png" && ext != ".svg" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if ext == ".png" {
		return bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n"))
	}
	return bytes.Contains(head, []byte("<svg"))
}
