// Package directory reads the file of transfer and redirect targets
// (--directory FILE) and searches it for the target picker.
//
// The file is CSV (RFC 4180, as spreadsheets write it) whose first line
// names the columns:
//
//		# name, kind (user|phone|queue|application), graph, genesys
//		name,kind,graph,genesys
//		Ana Ribeiro,user,550fae72-d251-43ec-868c-373732c2704f,5002
//		Reception,phone,+14255550100,
//		"Sales, EMEA",queue,,9000
//
//	  - name: what the picker shows and --to takes (unique, compared without
//	    regard to case);
//	  - kind: user, phone, queue or application;
//	  - graph: for Teams, a user's (or a queue's resource account's)
//	    directory object id, a GUID, or an E.164 number (+ and 8 to 15
//	    digits);
//	  - genesys: the number the Genesys switch dials (digits, * and #);
//	  - tenant (optional column): the Teams id's tenant, a GUID.
//
// Columns may come in any order; name and kind are required, and each row
// needs at least one address. Lines starting with # and blank lines are
// skipped. A file larger than MaxBytes, with more than MaxEntries entries,
// a malformed line or a repeated name is refused whole, with the line
// number and what is wrong, so a typo never silently drops a colleague.
//
// CSV was chosen over JSON or YAML because a directory is a table that is
// usually exported from a spreadsheet or a contact centre's admin tool, and
// CSV keeps one entry per line for the line numbers of errors.
package directory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"ringside/providers"
	"ringside/providers/regularfile"
	"ringside/providers/textsafe"
)

// Limits of a directory file.
const (
	MaxBytes   = 1 << 20
	MaxEntries = 10_000
)

// Column names of the header line.
const (
	ColName    = "name"
	ColKind    = "kind"
	ColGraph   = "graph"
	ColGenesys = "genesys"
	ColTenant  = "tenant"
)

var knownColumns = []string{ColName, ColKind, ColGraph, ColGenesys, ColTenant}

// Directory is a read-only list of targets. Its methods are safe for
// concurrent use; a nil *Directory is empty.
type Directory struct {
	entries []providers.Target
	byName  map[string]int // key(name) → index in entries
}

// LineError is a directory file refused for one line.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Load reads the directory file at path.
func Load(path string) (*Directory, error) {
	f, _, err := regularfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", path, err)
	}
	return d, nil
}

// Parse reads a directory in the format of the package comment.
func Parse(r io.Reader) (*Directory, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("larger than %d KiB; a directory of %d entries fits well within that", MaxBytes>>10, MaxEntries)
	}
	// Spreadsheets save CSV with a byte order mark.
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1 // checked here, to say which column is missing
	cols, err := readHeader(cr)
	if err != nil {
		return nil, err
	}
	d := &Directory{byName: map[string]int{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(d.entries) == MaxEntries {
			return nil, &LineError{line, fmt.Errorf("more than %d entries", MaxEntries)}
		}
		t, err := cols.target(rec)
		if err != nil {
			return nil, &LineError{line, err}
		}
		if err := d.add(t); err != nil {
			return nil, &LineError{line, err}
		}
	}
	return d, nil
}

// New makes a directory of targets given in code (the demo's colleagues),
// held to the rules of a file: each target valid, names unique.
func New(targets ...providers.Target) (*Directory, error) {
	if len(targets) > MaxEntries {
		return nil, fmt.Errorf("directory: more than %d entries", MaxEntries)
	}
	d := &Directory{byName: make(map[string]int, len(targets))}
	for i, t := range targets {
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("directory entry %d: %w", i+1, err)
		}
		if err := d.add(t); err != nil {
			return nil, fmt.Errorf("directory entry %d: %w", i+1, err)
		}
	}
	return d, nil
}

// add files t under its name, refusing a name already used.
func (d *Directory) add(t providers.Target) error {
	k := key(t.Name)
	if first, dup := d.byName[k]; dup {
		return fmt.Errorf("the name %q is already used by entry %d (%q); names must be unique", t.Name, first+1, d.entries[first].Name)
	}
	d.byName[k] = len(d.entries)
	d.entries = append(d.entries, t)
	return nil
}

// columns maps the header's column names to their positions.
type columns struct {
	index map[string]int
	n     int
}

func readHeader(cr *csv.Reader) (columns, error) {
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return columns{}, errors.New("empty: the first line must name the columns, such as name,kind,graph,genesys")
	}
	if err != nil {
		return columns{}, csvError(err)
	}
	line, _ := cr.FieldPos(0)
	cols := columns{index: map[string]int{}, n: len(rec)}
	for i, name := range rec {
		name = strings.ToLower(strings.TrimSpace(name))
		if !slices.Contains(knownColumns, name) {
			return columns{}, &LineError{line, fmt.Errorf("column %d %q is not one of %s (the first line must name the columns, such as name,kind,graph,genesys)",
				i+1, cut(name), strings.Join(knownColumns, ", "))}
		}
		if _, dup := cols.index[name]; dup {
			return columns{}, &LineError{line, fmt.Errorf("column %q appears twice", name)}
		}
		cols.index[name] = i
	}
	for _, need := range []string{ColName, ColKind} {
		if _, ok := cols.index[need]; !ok {
			return columns{}, &LineError{line, fmt.Errorf("no %q column", need)}
		}
	}
	_, graph := cols.index[ColGraph]
	_, genesys := cols.index[ColGenesys]
	if !graph && !genesys {
		return columns{}, &LineError{line, errors.New(`no "graph" or "genesys" column: entries would have no address`)}
	}
	return cols, nil
}

// get is the trimmed value of column name in rec, "" if the file has no
// such column.
func (c columns) get(rec []string, name string) string {
	i, ok := c.index[name]
	if !ok {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// target reads one row.
func (c columns) target(rec []string) (providers.Target, error) {
	if len(rec) != c.n {
		return providers.Target{}, fmt.Errorf("%d fields, but the header names %d columns (a name with a comma needs \"quotes\")", len(rec), c.n)
	}
	t := providers.Target{
		Name:          c.get(rec, ColName),
		Kind:          providers.TargetKind(strings.ToLower(c.get(rec, ColKind))),
		GraphTenantID: strings.ToLower(c.get(rec, ColTenant)),
		GenesysNumber: c.get(rec, ColGenesys),
	}
	if graph := c.get(rec, ColGraph); graph != "" {
		switch {
		case strings.HasPrefix(graph, "+"):
			t.Phone = stripSpaces(graph)
		case strings.Trim(stripSpaces(graph), "0123456789") == "":
			return providers.Target{}, fmt.Errorf("graph %q: a phone number for Teams must be E.164, + and the country code", cut(graph))
		default:
			t.GraphID = strings.ToLower(graph)
		}
	}
	if err := t.Validate(); err != nil {
		return providers.Target{}, err
	}
	return t, nil
}

// stripSpaces drops the spaces and dashes people write inside a number.
func stripSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// csvError turns the CSV reader's error into a line error.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{pe.Line, fmt.Errorf("column %d: %v", pe.Column, pe.Err)}
	}
	return err
}

// key is how names are compared: without regard to case, as
// strings.EqualFold compares (each rune replaced by the smallest rune of its
// Unicode case-folding orbit, so "ı", "I" and "i" are not mixed up the way
// ToLower(ToUpper(…)) would).
func key(name string) string {
	return strings.Map(func(r rune) rune {
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		return low
	}, strings.TrimSpace(name))
}

// Len is the number of entries.
func (d *Directory) Len() int {
	if d == nil {
		return 0
	}
	return len(d.entries)
}

// Entries returns the entries in file order.
func (d *Directory) Entries() []providers.Target {
	if d == nil {
		return nil
	}
	return slices.Clone(d.entries)
}

// Lookup finds the entry named name, compared without regard to case.
func (d *Directory) Lookup(name string) (providers.Target, bool) {
	if d == nil {
		return providers.Target{}, false
	}
	i, ok := d.byName[key(name)]
	if !ok {
		return providers.Target{}, false
	}
	return d.entries[i], true
}

// Resolve reads what a person gave as a target (--to, or the picker's text
// with no entry chosen): a directory name first, else a number or Teams id
// (providers.ParseTarget).
func (d *Directory) Resolve(s string) (providers.Target, error) {
	if t, ok := d.Lookup(s); ok {
		return t, nil
	}
	t, err := providers.ParseTarget(s)
	if err != nil {
		if d.Len() > 0 {
			return providers.Target{}, fmt.Errorf("%q is not a name in the directory, and %w", cut(strings.TrimSpace(s)), err)
		}
		return providers.Target{}, err
	}
	return t, nil
}

// cut makes bad input safe and short enough to quote in an error.
func cut(s string) string { return textsafe.Cut(textsafe.Clean(s), 40) }
