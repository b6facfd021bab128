package textsafe

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain text is kept", "Adele Vance (Contoso)", "Adele Vance (Contoso)"},
		{"OSC 52 clipboard write, BEL-terminated", "a\x1b]52;c;cm0gLXJmIH4=\x07b", "ab"},
		{"OSC 0 retitle, ST-terminated", "a\x1b]0;pwned\x1b\\b", "ab"},
		{"clear screen", "x\x1b[2J\x1b[Hy", "xy"},
		{"colour", "\x1b[31mred\x1b[0m", "red"},
		{"DCS string", "\x1bPq#0;2;0;0;0\x1b\\z", "z"},
		{"8-bit CSI", "a\u009b31mred", "ared"},
		{"8-bit OSC with 8-bit ST", "a\u009d0;title\u009cb", "ab"},
		{"8-bit DCS, SOS, PM and APC strings", "a\u0090q#0\u009cb\u0098x\u009cc\u009ey\u009cd\u009fz\u009ce", "abcde"},
		{"C1 controls that open nothing become spaces", "Line1\u0085Line2\u0084a\u008db\u0080c", "Line1 Line2 a b c"},
		{"a lone ESC at the end", "a\x1b", "a"},
		{"C0 controls become spaces", "a\tb\nc\rd\x07e\x00f", "a b c d e f"},
		{"DEL becomes a space", "a\x7fb", "a b"},
		{"line and paragraph separators become spaces", "a\u2028b\u2029c", "a b c"},
		{"right-to-left override dropped", "Bob\u202egpj.exe", "Bobgpj.exe"},
		{"isolates and marks dropped", "\u2066a\u2069\u200eb\u200f", "ab"},
		{"zero-width space, joiner, BOM dropped", "A\u200bd\u200de\ufeffle", "Adele"},
		{"broken UTF-8 becomes U+FFFD", "bad\xff\xfeend", "bad\ufffdend"},
		{"wide and accented letters are kept", "Zoë 山田 🎧", "Zoë 山田 🎧"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	if got := Line("  one\n\n two\t three  "); got != "one two three" {
		t.Errorf("white space not folded: %q", got)
	}
	long := strings.Repeat("é", MaxLine+50)
	got := Line(long)
	if n := utf8.RuneCountInString(got); n != MaxLine || !strings.HasSuffix(got, "…") {
		t.Errorf("Line of %d runes gave %d runes %q…, want %d ending in an ellipsis", MaxLine+50, n, got[:10], MaxLine)
	}
	if got := Line(strings.Repeat("x", MaxLine)); got != strings.Repeat("x", MaxLine) {
		t.Errorf("a line of exactly MaxLine was cut: %d", len(got))
	}
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"äöüß", 3, "äö…"},
		{"äöü", 3, "äöü"},
		{"abc", 0, ""},
		{"abc", 1, "…"},
	} {
		if got := Cut(tc.in, tc.n); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestBody(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"HTML page gives its title", "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>", "502 Bad Gateway"},
		{"title with an escape sequence", "<html><head><title>\x1b]0;x\x07Service &amp; Unavailable</title></head></html>", "Service & Unavailable"},
		{"HTML without a title gives its text", "<html><body><script>var a=1;</script><h1>Not   Found</h1>\n<p>nginx</p></body></html>", "Not Found nginx"},
		{"plain text", "upstream connect error\r\nor disconnect", "upstream connect error or disconnect"},
		{"empty", "  \n ", ""},
		// Letters whose lower case is longer or shorter, and broken UTF-8,
		// must not move where the title or a tag is cut: such a page from
		// a server once cut the title short or panicked.
		{"title of letters that lower to another length", "<TITLE>İİİ ẞẞ</TITLE>", "İİİ ẞẞ"},
		{"title in broken UTF-8", "<html><title>\xff\xffGateway</title>", "\ufffdGateway"},
		{"text of letters that lower to another length", "<html>ẞẞẞẞ<b>x</b>", "ẞẞẞẞ x"},
		{"text ending inside a tag", "<html><body>ẞẞẞẞẞẞẞẞ<", "ẞẞẞẞẞẞẞẞ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Body([]byte(tc.in)); got != tc.want {
				t.Errorf("Body = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCleanPlainDoesNotAllocate(t *testing.T) {
	s := "Adele Vance +14255550100"
	if n := testing.AllocsPerRun(100, func() { _ = Clean(s) }); n != 0 {
		t.Errorf("Clean of plain ASCII allocates %v times", n)
	}
}

// FuzzClean checks what every caller relies on: nothing a terminal acts on or
// hides survives, the result is valid UTF-8, cleaning twice changes nothing,
// and Line stays one bounded line.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"", "plain", "a\x1b]52;c;aGk=\x07b", "\x1b[2J", "\u009b31m", "\u202e", "\xff", "a\x1b", "\x1bP\x1b\\",
		"<html><title>x</title></html>", "<html><title>\xff\xff\xff</title>", "<html>ẞẞ<b>x</b>", "\u200d\u2066", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Clean(s)
		if !utf8.ValidString(c) {
			t.Fatalf("Clean(%q) = %q: not valid UTF-8", s, c)
		}
		for _, r := range c {
			if r < 0x20 || r == 0x7f || isC1(r) || (unicode.Is(unicode.Cf, r) && r != zwj) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("Clean(%q) = %q keeps %U", s, c, r)
			}
		}
		if again := Clean(c); again != c {
			t.Fatalf("Clean is not stable: %q → %q → %q", s, c, again)
		}
		l := Line(s)
		if slow := Cut(fold(Clean(s)), MaxLine); l != slow {
			t.Fatalf("Line(%q) = %q, but the full path gives %q", s, l, slow)
		}
		if n := utf8.RuneCountInString(l); n > MaxLine {
			t.Fatalf("Line(%q) has %d runes, more than %d", s, n, MaxLine)
		}
		if strings.Contains(l, "  ") || strings.TrimSpace(l) != l {
			t.Fatalf("Line(%q) = %q: white space not folded", s, l)
		}
		b := Body([]byte(s))
		if Clean(b) != b || utf8.RuneCountInString(b) > MaxLine {
			t.Fatalf("Body(%q) = %q: not clean or too long", s, b)
		}
	})
}

func TestLogHandler(t *testing.T) {
	var out strings.Builder
	log := slog.New(LogHandler(slog.NewJSONHandler(&out, nil)))
	hostile := "Bob\u202e\x1b]52;c;aGk=\x07\u009b2J"
	log.With("from", hostile).WithGroup("g").Error("refused: "+hostile,
		"message", hostile, "err", errors.New(hostile), "raw", []byte(hostile),
		slog.Group("inner", "name", hostile), "n", 3)
	got := out.String()
	for _, bad := range []string{"\u202e", `\u001b`, "\u009b", "52;c", "aGk="} {
		if strings.Contains(got, bad) {
			t.Errorf("log line keeps %q: %s", bad, got)
		}
	}
	for _, want := range []string{`"msg":"refused: Bob"`, `"from":"Bob"`, `"message":"Bob"`, `"err":"Bob"`, `"raw":"Bob"`, `"inner":{"name":"Bob"}`, `"n":3`} {
		if !strings.Contains(got, want) {
			t.Errorf("log line lacks %s: %s", want, got)
		}
	}
}

func TestCleanKeepsEmojiSequences(t *testing.T) {
	for in, want := range map[string]string{
		"Zoë 👩\u200d💻":   "Zoë 👩\u200d💻",   // technologist: one picture
		"❤\ufe0f\u200d🔥": "❤\ufe0f\u200d🔥", // heart on fire, after a presentation selector
		"a\u200db":       "ab",             // a joiner between letters hides a boundary
		"👩\u200d":        "👩",              // a dangling joiner
		"👩\u200d\u202e💻": "👩💻",             // a joiner that leads to an override is no sequence
		"\u200d👩":        "👩",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriter(t *testing.T) {
	var out strings.Builder
	w := NewWriter(&out)
	msg := "ringside: graph: answer c1: refused by the server: \x1b]52;c;aGk=\x07Forbidden\u202e\r\nRun 'ringside --help'\n"
	if n, err := w.Write([]byte(msg)); err != nil || n != len(msg) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(msg))
	}
	want := "ringside: graph: answer c1: refused by the server: Forbidden\nRun 'ringside --help'\n"
	if out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
	out.Reset()
	w.Write([]byte(strings.Repeat("x", MaxWriterLine+10) + "\n"))
	if n := utf8.RuneCountInString(strings.TrimSuffix(out.String(), "\n")); n != MaxWriterLine {
		t.Errorf("a long line kept %d characters, want %d", n, MaxWriterLine)
	}
}

func TestLinePlainDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"Adele Vance", "57dab8b1-894c-409a-b240-bd8beae78896", ""} {
		if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
			t.Errorf("Line(%q) allocates %v times", s, n)
		}
		if Line(s) != s {
			t.Errorf("Line(%q) changed it", s)
		}
	}
}
