// Package textsafe makes text that came from the network safe for a person to
// read on a terminal, in a log or in the JSON stream.
//
// A display name, a server's error message or an HTML error page can carry
// escape sequences that move the cursor, clear or retitle the screen, or
// write the clipboard (OSC 52); C0 and C1 control characters that a terminal
// acts on; and invisible format characters (bidi overrides, zero-width
// joiners and spaces) that make one name look like another or reorder what is
// read. Every piece of network text passes through this package before it
// reaches stderr, the status line, the table, the log or the JSON stream.
package textsafe

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// MaxLine is how many characters Line keeps: enough for any error message a
// person reads in a status line, too few for a page of HTML to flood a log.
const MaxLine = 300

// Clean returns s with escape sequences removed, control characters turned
// into spaces, invisible format characters (Unicode Cf: bidi controls,
// zero-width characters) dropped and broken UTF-8 replaced by U+FFFD. It keeps
// the length and the spacing otherwise, for callers that cut to a width of
// their own. Text that needs none of this is returned as it is, without
// allocating.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	if !utf8.ValidString(s) {
		// Broken UTF-8 has no agreed width and can hide a C1 byte; a
		// replacement character has neither problem.
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.ContainsFunc(s, opensSequence) {
		// A C1 control is the one-character form of ESC and a letter
		// (U+009B is ESC [, U+009D is ESC ]). Those that open a sequence
		// or a string, and the one that ends a string, are spelled out so
		// that what they open is stripped whole below, its parameters
		// with it. The other C1 controls stand alone and become spaces
		// like C0 controls.
		var b strings.Builder
		for _, r := range s {
			if opensSequence(r) {
				b.WriteByte(0x1b)
				b.WriteByte(byte(r - 0x40))
				continue
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	if strings.ContainsRune(s, 0x1b) {
		// ansi.Strip understands CSI, OSC, DCS, APC, PM and SOS strings,
		// so a sequence's parameters go with it instead of being left
		// behind as readable junk.
		s = ansi.Strip(s)
	}
	if !strings.ContainsFunc(s, needsWork) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	var prev rune
	for i, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || isC1(r) || r == '\u2028' || r == '\u2029':
			r = ' '
		case r == zwj && isEmoji(prev) && isEmoji(firstRune(s[i+len(string(zwj)):])):
			// The joiner inside an emoji sequence (👩‍💻) is what draws
			// it as one picture; it hides nothing there.
		case unicode.Is(unicode.Cf, r):
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

const zwj = '\u200d'

func needsWork(r rune) bool {
	return r < 0x20 || r == 0x7f || isC1(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r)
}

// isEmoji reports whether r is a pictograph that takes part in emoji ZWJ
// sequences, or the emoji presentation selector that may follow one.
func isEmoji(r rune) bool {
	return (r >= 0x1f000 && r <= 0x1faff) || (r >= 0x2600 && r <= 0x27bf) || r == 0xfe0f
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// Line returns s as one line a person can read: Clean, with every run of
// white space folded into one space, trimmed, and cut to MaxLine characters
// with an ellipsis.
func Line(s string) string {
	if isPlainLine(s) {
		return s // the common case, a name or an id: one pass, no copy
	}
	return Cut(fold(Clean(s)), MaxLine)
}

// isPlainLine reports whether Line would return s as it is: printable ASCII,
// no run of spaces, none at either end, at most MaxLine long.
func isPlainLine(s string) bool {
	if len(s) > MaxLine || (s != "" && (s[0] == ' ' || s[len(s)-1] == ' ')) {
		return false
	}
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || (c == ' ' && prevSpace) {
			return false
		}
		prevSpace = c == ' '
	}
	return true
}

// Cut returns s cut to at most n characters (runes), the last one an ellipsis
// when anything was cut. It does not clean s.
func Cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s // n bytes are at most n runes
	}
	count := 0
	for i := range s {
		if count == n-1 {
			if utf8.RuneCountInString(s[i:]) > 1 {
				return s[:i] + "…"
			}
			return s
		}
		count++
	}
	return s
}

// Body returns what a person should read of an error response body: the
// title of an HTML page (or its text without tags), otherwise the body's text,
// as one clean line. It returns "" when nothing readable is left.
func Body(b []byte) string {
	s := string(b)
	if looksLikeHTML(s) {
		if t := htmlTitle(s); t != "" {
			return Line(t)
		}
		s = stripTags(s)
	}
	return Line(s)
}

// isPlain reports whether s is printable ASCII only (space to tilde), the
// case of nearly all text, which needs no work at all.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func isC1(r rune) bool { return r >= 0x80 && r < 0xa0 }

// opensSequence reports whether r is a C1 control that opens a control
// sequence or string (DCS, SOS, CSI, OSC, PM, APC) or ends a string (ST).
func opensSequence(r rune) bool {
	switch r {
	case 0x90, 0x98, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f:
		return true
	}
	return false
}

// fold turns every run of white space into one space and trims the ends.
func fold(s string) string {
	if !strings.Contains(s, "  ") && strings.TrimSpace(s) == s && !strings.ContainsFunc(s, isOtherSpace) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func isOtherSpace(r rune) bool { return r != ' ' && unicode.IsSpace(r) }

func looksLikeHTML(s string) bool {
	head := lowerASCII(strings.TrimSpace(s[:min(len(s), 512)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html") ||
		strings.Contains(head, "<head") || strings.Contains(head, "<body") || strings.Contains(head, "<title")
}

// htmlTitle returns the text of the page's <title>, if it has one.
func htmlTitle(s string) string {
	lower := lowerASCII(s)
	open := strings.Index(lower, "<title")
	if open < 0 {
		return ""
	}
	start := strings.IndexByte(lower[open:], '>')
	if start < 0 {
		return ""
	}
	start += open + 1
	end := strings.Index(lower[start:], "</title")
	if end < 0 {
		return ""
	}
	return html.UnescapeString(s[start : start+end])
}

// stripTags drops markup, scripts and styles, leaving the page's text.
func stripTags(s string) string {
	var b strings.Builder
	lower := lowerASCII(s)
	for i := 0; i < len(s); {
		if s[i] != '<' {
			b.WriteByte(s[i])
			i++
			continue
		}
		for _, skip := range []string{"script", "style"} {
			if strings.HasPrefix(lower[i+1:], skip) {
				if end := strings.Index(lower[i:], "</"+skip); end >= 0 {
					i += end
				}
			}
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break
		}
		i += end + 1
		b.WriteByte(' ')
	}
	return html.UnescapeString(b.String())
}

// lowerASCII lowers ASCII letters only, so that an offset found in the
// result is the same offset in s. strings.ToLower changes the length of some
// letters (U+1E9E ẞ, U+0130 İ) and of broken UTF-8, which a server's error
// page may hold: offsets found in its result then cut s in the wrong place
// or past its end. Tag names are ASCII; nothing else needs lowering.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
