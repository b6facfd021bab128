package directory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ringside/providers"
)

const example = "testdata/example.csv"

func load(t *testing.T) *Directory {
	t.Helper()
	d, err := Load(example)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadExample(t *testing.T) {
	d := load(t)
	if d.Len() != 8 {
		t.Fatalf("%d entries, want 8", d.Len())
	}
	want := map[string]providers.Target{
		"Ana Ribeiro": {Name: "Ana Ribeiro", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f",
			GraphTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", GenesysNumber: "5002"},
		"Lena Fischer": {Name: "Lena Fischer", Kind: providers.TargetUser, GenesysNumber: "5004"},
		"Reception":    {Name: "Reception", Kind: providers.TargetPhone, Phone: "+14255550100", GenesysNumber: "914255550100"},
		"Paris office": {Name: "Paris office", Kind: providers.TargetPhone, Phone: "+33155550123"},
		"Sales, EMEA":  {Name: "Sales, EMEA", Kind: providers.TargetQueue, GraphID: "2c3d4e5f-6a7b-4c8d-9e0f-a1b2c3d4e5f6", GenesysNumber: "9000"},
		"IVR bot":      {Name: "IVR bot", Kind: providers.TargetApplication, GraphID: "0f1e2d3c-4b5a-4697-8a9b-c0d1e2f3a4b5"},
	}
	for name, w := range want {
		got, ok := d.Lookup(name)
		if !ok || got != w {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", name, got, ok, w)
		}
	}
	entries := d.Entries()
	if entries[0].Name != "Ana Ribeiro" || entries[7].Name != "IVR bot" {
		t.Fatalf("Entries not in file order: %v … %v", entries[0].Name, entries[7].Name)
	}
	entries[0].Name = "changed"
	if d.Entries()[0].Name != "Ana Ribeiro" {
		t.Fatal("Entries must return a copy")
	}
}

func TestLookupIgnoresCaseOnly(t *testing.T) {
	d := load(t)
	for _, name := range []string{"ana ribeiro", "  ANA RIBEIRO ", "sales, emea"} {
		if _, ok := d.Lookup(name); !ok {
			t.Errorf("Lookup(%q) found nothing", name)
		}
	}
	for _, name := range []string{"Ana", "AnaRibeiro", "Sales EMEA", ""} {
		if got, ok := d.Lookup(name); ok {
			t.Errorf("Lookup(%q) is exact, but found %q", name, got.Name)
		}
	}
}

func TestParseRefusesWithTheLine(t *testing.T) {
	const head = "name,kind,graph,genesys\n"
	cases := []struct {
		name, file string
		line       int
		says       string
	}{
		{"empty", "", 0, "empty: the first line must name the columns"},
		{"only comments", "# nothing\n\n", 0, "empty"},
		{"data before header", "Ana,user,,5002\n", 1, `column 1 "ana" is not one of`},
		{"unknown column", "name,kind,graph,email\n", 1, `column 4 "email"`},
		{"twice", "name,kind,graph,Graph\n", 1, `column "graph" appears twice`},
		{"no kind", "name,graph\n", 1, `no "kind" column`},
		{"no address column", "name,kind\n", 1, `no "graph" or "genesys" column`},
		{"bad kind", head + "\n# x\nAna,room,,5002\n", 4, `kind "room"`},
		{"short row", head + "Ana,user,5002\n", 2, "3 fields, but the header names 4 columns"},
		{"unquoted comma", head + "Sales, EMEA,queue,,9000\n", 2, "5 fields"},
		{"bad guid", head + "Ana,user,550fae72,\n", 2, "not a GUID"},
		{"bad e164", head + "Desk,phone,+44 20,\n", 2, "8 to 15 digits"},
		{"number without plus", head + "Desk,phone,442079460000,\n", 2, "must be E.164, + and the country code"},
		{"bad genesys", head + "Desk,phone,,50-02\n", 2, "only digits"},
		{"no address", head + "Ana,user,,\n", 2, "has no Teams id, phone number or Genesys number"},
		{"phone with guid", head + "Desk,phone,550fae72-d251-43ec-868c-373732c2704f,\n", 2, "not a Teams id"},
		{"empty name", head + ",user,,5002\n", 2, "name is empty"},
		{"escape in name", head + "Ana\x1b[2J,user,,5002\n", 2, "control or invisible"},
		{"newline in quoted name", head + "\"Ana\nRibeiro\",user,,5002\n", 2, "control or invisible"},
		{"bare quote", head + "Ana \"R\",user,,5002\n", 2, "bare \""},
		{"bad tenant", "name,kind,graph,tenant\nAna,user,550fae72-d251-43ec-868c-373732c2704f,contoso.com\n", 2, "tenant id"},
		{"duplicate", head + "Ana Ribeiro,user,,5002\nLena,user,,5004\n\nana ribeiro,user,,5005\n", 5,
			`the name "ana ribeiro" is already used by entry 1 ("Ana Ribeiro")`},
	}
	for _, c := range cases {
		_, err := Parse(strings.NewReader(c.file))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v; want it to say %q", c.name, err, c.says)
		}
		var le *LineError
		switch {
		case c.line == 0 && errors.As(err, &le):
			t.Errorf("%s: %v names a line", c.name, err)
		case c.line != 0 && (!errors.As(err, &le) || le.Line != c.line):
			t.Errorf("%s: %v; want line %d", c.name, err, c.line)
		}
		if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("%s: the error quotes an escape sequence", c.name)
		}
	}
}

func TestParseAcceptsSpreadsheetCSV(t *testing.T) {
	// A byte order mark, CRLF line ends, columns in another order, upper
	// case kinds and padded fields, as spreadsheets and people write them.
	file := "\uFEFFGenesys, Name ,Kind\r\n5002, Ana Ribeiro ,USER\r\n\"9000\",\"Sales, \"\"EMEA\"\"\",Queue\r\n"
	d, err := Parse(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Lookup("Ana Ribeiro"); got != (providers.Target{Name: "Ana Ribeiro", Kind: providers.TargetUser, GenesysNumber: "5002"}) {
		t.Fatalf("Ana: %+v", got)
	}
	if got, ok := d.Lookup(`Sales, "EMEA"`); !ok || got.GenesysNumber != "9000" || got.Kind != providers.TargetQueue {
		t.Fatalf("quoted name: %+v %v", got, ok)
	}
}

func TestParseLimits(t *testing.T) {
	rows := func(n int) string {
		var b strings.Builder
		b.WriteString("name,kind,genesys\n")
		for i := range n {
			fmt.Fprintf(&b, "agent %d,user,%d\n", i, 10000+i)
		}
		return b.String()
	}
	d, err := Parse(strings.NewReader(rows(MaxEntries)))
	if err != nil || d.Len() != MaxEntries {
		t.Fatalf("%d entries: %v", d.Len(), err)
	}
	_, err = Parse(strings.NewReader(rows(MaxEntries + 1)))
	var le *LineError
	if !errors.As(err, &le) || le.Line != MaxEntries+2 || !strings.Contains(err.Error(), "more than 10000 entries") {
		t.Fatalf("one too many: %v", err)
	}
	big := "name,kind,genesys\n# " + strings.Repeat("x", MaxBytes) + "\n"
	if _, err := Parse(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Fatalf("over the size cap: %v", err)
	}
}

func TestLoadSaysWhichFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "team.csv")
	if err := os.WriteFile(bad, []byte("name,kind,genesys\nAna,user,50-02\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if err == nil || !strings.Contains(err.Error(), "directory "+bad+": line 2:") {
		t.Fatalf("%v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.csv")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a directory: %v", err)
	}
}

func TestResolve(t *testing.T) {
	d := load(t)
	got, err := d.Resolve("reception")
	if err != nil || got.Name != "Reception" || got.GenesysNumber != "914255550100" {
		t.Fatalf("a name: %+v %v", got, err)
	}
	got, err = d.Resolve("+44 20 7946 0000")
	if err != nil || got.Phone != "+442079460000" || got.Kind != providers.TargetPhone {
		t.Fatalf("a number: %+v %v", got, err)
	}
	_, err = d.Resolve("Sales desk")
	if err == nil || !errors.Is(err, providers.ErrBadTarget) || !strings.Contains(err.Error(), `"Sales desk" is not a name in the directory`) {
		t.Fatalf("neither: %v", err)
	}
	var none *Directory
	if _, err := none.Resolve("Sales desk"); err == nil || strings.Contains(err.Error(), "directory") {
		t.Fatalf("without a directory the error need not mention one: %v", err)
	}
	if got, err := none.Resolve("5002"); err != nil || got.GenesysNumber != "5002" {
		t.Fatalf("a number without a directory: %+v %v", got, err)
	}
	if none.Len() != 0 || none.Entries() != nil || none.Search("a", 5) != nil {
		t.Fatal("a nil directory is empty")
	}
	if _, ok := none.Lookup("a"); ok {
		t.Fatal("a nil directory finds nothing")
	}
}

func TestNamesCompareAsEqualFold(t *testing.T) {
	// K and the Kelvin sign fold together; dotless ı and i do not.
	d, err := Parse(strings.NewReader("name,kind,genesys\nKarl,user,5001\nıris,user,5002\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Lookup("\u212Aarl"); !ok {
		t.Fatal("the Kelvin sign folds to K")
	}
	if _, ok := d.Lookup("iris"); ok {
		t.Fatal("dotless ı is not i")
	}
	if _, ok := d.Lookup("IRIS"); ok {
		t.Fatal("dotless ı is not I either (strings.EqualFold)")
	}
	if _, err := Parse(strings.NewReader("name,kind,genesys\nKarl,user,5001\n\u212Aarl,user,5002\n")); err == nil {
		t.Fatal("names equal under case folding are duplicates")
	}
}

// New holds targets given in code to a file's rules.
func TestNewHoldsTargetsToTheFileRules(t *testing.T) {
	ana := providers.Target{Name: "Ana Ribeiro", Kind: providers.TargetUser, GenesysNumber: "5002"}
	d, err := New(ana, providers.Target{Name: "Reception", Kind: providers.TargetPhone, Phone: "+14255550100"})
	if err != nil || d.Len() != 2 {
		t.Fatalf("New = %v, %v", d.Len(), err)
	}
	if got, ok := d.Lookup("ana ribeiro"); !ok || got != ana {
		t.Errorf("Lookup = %+v, %v", got, ok)
	}
	if _, err := New(ana, providers.Target{Name: "ANA RIBEIRO", Kind: providers.TargetPhone, Phone: "+14255550101"}); err == nil ||
		!strings.Contains(err.Error(), "entry 2") || !strings.Contains(err.Error(), "already used") {
		t.Errorf("a repeated name: %v", err)
	}
	if _, err := New(providers.Target{Name: "Nobody", Kind: providers.TargetUser}); !errors.Is(err, providers.ErrBadTarget) {
		t.Errorf("a target with no address: %v", err)
	}
}
