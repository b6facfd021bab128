package directory

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"ringside/providers"
)

// RecentFile keeps the recent targets between runs, in a file of the
// directory's own format (so it is read with the same checks and limits,
// and a person can copy a line of it into a directory file).
//
// Several programs may share the file (two consoles, a one-shot transfer
// beside a console): Add reads what the file holds, puts the target
// first and writes the list back whole, through a temporary file renamed
// over the old one, so a reader never sees half a list and nobody's uses
// are dropped beyond what the limit drops. A file that cannot be read (a
// person edited it badly) is never written over: Add fails and says why.
type RecentFile struct {
	path string
	max  int
	mu   sync.Mutex // one Add at a time within the program
}

// NewRecentFile keeps up to max targets (DefaultRecent when max is 0) in
// the file at path; its directory is made when first written.
func NewRecentFile(path string, max int) *RecentFile {
	return &RecentFile{path: path, max: max}
}

// Path is where the file is.
func (f *RecentFile) Path() string { return f.path }

// Load reads the file. A file that does not exist yet is an empty list.
// Errors name the file.
func (f *RecentFile) Load() (Recent, error) {
	r := NewRecent(f.max)
	d, err := Load(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	entries := d.Entries()
	entries = entries[:min(len(entries), r.limit())]
	for i := len(entries) - 1; i >= 0; i-- {
		r = r.With(entries[i])
	}
	return r, nil
}

// Add puts t first in the file and returns the list the file now holds.
func (f *RecentFile) Add(t providers.Target) (Recent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.Load()
	if err != nil {
		return r, err
	}
	r = r.With(t)
	return r, f.write(r) // os errors name the path
}

// write replaces the file with r, readable by its owner only: a list of
// numbers dialled is nobody else's business.
func (f *RecentFile) write(r Recent) error {
	data := encodeRecent(r.List())
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".recent-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone already once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}

// encodeRecent writes targets in the directory format, each readable back
// as it was. A name used twice (a typed number that is also an entry's
// name) keeps its first, most recent, line, since a directory refuses a
// repeated name whole.
func encodeRecent(targets []providers.Target) []byte {
	var buf bytes.Buffer
	buf.WriteString("# ringside's recent transfer targets, most recent first; rewritten on each use\n")
	writeRow(&buf, ColName, ColKind, ColGraph, ColGenesys, ColTenant)
	seen := map[string]bool{}
	for _, t := range targets {
		if seen[key(t.Name)] {
			continue
		}
		graph := t.GraphID
		if graph == "" {
			graph = t.Phone
		} else if t.Phone != "" {
			// The directory's graph column holds one of the two; no
			// source makes a target with both, and one is never written
			// as if it were the other.
			continue
		}
		seen[key(t.Name)] = true
		writeRow(&buf, t.Name, string(t.Kind), graph, t.GenesysNumber, t.GraphTenantID)
	}
	return buf.Bytes()
}

// writeRow writes one CSV line with every field quoted: a number typed
// as "#31" would otherwise start a line the reader skips as a comment.
func writeRow(buf *bytes.Buffer, fields ...string) {
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('"')
		buf.WriteString(strings.ReplaceAll(f, `"`, `""`))
		buf.WriteByte('"')
	}
	buf.WriteByte('\n')
}
