package theme

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

func TestParseAndChoose(t *testing.T) {
	for in, want := range map[string]Name{"": Auto, "auto": Auto, " Dark ": Dark, "LIGHT": Light, "mono": Mono} {
		got, err := ParseName(in)
		if err != nil || got != want {
			t.Errorf("ParseName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseName("solarized"); err == nil || !strings.Contains(err.Error(), "choose auto, dark, light or mono") {
		t.Errorf("unknown theme error: %v", err)
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return v
			}
			return ""
		}
	}
	for _, tt := range []struct {
		theme, noColor string
		want           Name
	}{
		{"dark", "", Dark},
		{"dark", "1", Mono},
		{"light", "yes", Mono}, // any non-empty value counts, not only what ParseBool reads
		{"auto", "0", Mono},
	} {
		got, err := Choose(tt.theme, env(tt.noColor))
		if err != nil || got != tt.want {
			t.Errorf("Choose(%q, NO_COLOR=%q) = %q, %v; want %q", tt.theme, tt.noColor, got, err, tt.want)
		}
	}
	if _, err := Choose("nope", env("1")); err == nil {
		t.Error("a bad theme name is accepted when NO_COLOR is set")
	}
}

func TestAutoFollowsBackground(t *testing.T) {
	if s := MustNew(Auto, true); s.Name != Dark || !s.Dark {
		t.Errorf("auto on dark: %q", s.Name)
	}
	if s := MustNew(Auto, false); s.Name != Light || s.Dark {
		t.Errorf("auto on light: %q", s.Name)
	}
	if _, err := New("neon", true); err == nil {
		t.Error("unknown theme built")
	}
}

var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// colours lists the colour parameters of every SGR sequence in s.
func colours(s string) []string {
	var out []string
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.Split(m[1], ";") {
			switch {
			case p == "38" || p == "48" || p == "58":
				out = append(out, p)
			case len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p[1] != '9':
				out = append(out, p)
			case len(p) == 3 && p[:2] == "10":
				out = append(out, p)
			}
		}
	}
	return out
}

// eachPaint calls fn with every table paint and every style of s rendered.
func eachRendered(s Styles, fn func(name, rendered string)) {
	v := reflect.ValueOf(s)
	for i := range v.NumField() {
		f := v.Field(i)
		name := v.Type().Field(i).Name
		switch x := f.Interface().(type) {
		case lipgloss.Style:
			fn(name, x.Render("x"))
		case Chrome:
			cv := reflect.ValueOf(x)
			for j := range cv.NumField() {
				fn(name+"."+cv.Type().Field(j).Name, cv.Field(j).Interface().(Paint).Render("x"))
			}
		case Table:
			tv := reflect.ValueOf(x)
			for j := range tv.NumField() {
				tn := name + "." + tv.Type().Field(j).Name
				switch p := tv.Field(j).Interface().(type) {
				case Cell:
					fn(tn+".Normal", p.Normal.Render("x"))
					fn(tn+".Selected", p.Selected.Render("x"))
				case Paint:
					fn(tn, p.Render("x"))
				}
			}
		}
	}
	fn("Help.ShortKey", s.Help.ShortKey.Render("x"))
	fn("Help.ShortDesc", s.Help.ShortDesc.Render("x"))
}

// Mono has no colour at all, so NO_COLOR terminals get none.
func TestMonoHasNoColour(t *testing.T) {
	s := MustNew(Mono, true)
	if !s.Mono {
		t.Fatal("mono not marked mono")
	}
	eachRendered(s, func(name, r string) {
		if c := colours(r); len(c) > 0 {
			t.Errorf("%s has colour parameters %v: %q", name, c, r)
		}
	})
}

// The selected row looks different from an ordinary one in every theme,
// and in mono by reverse video (which survives any terminal).
func TestSelectionIsVisible(t *testing.T) {
	for _, n := range []Name{Dark, Light, Mono} {
		s := MustNew(n, true)
		tv := reflect.ValueOf(s.Table)
		for j := range tv.NumField() {
			c, ok := tv.Field(j).Interface().(Cell)
			if !ok {
				continue
			}
			name := tv.Type().Field(j).Name
			if c.Normal == c.Selected {
				t.Errorf("%s: %s looks the same selected", n, name)
			}
			if n == Mono && !strings.Contains(c.Selected.Open, "7") {
				t.Errorf("mono: selected %s is not reverse video: %q", name, c.Selected.Open)
			}
		}
	}
}

// Colour themes use colour for states; each state has its own.
func TestColourThemesColourStates(t *testing.T) {
	for _, n := range []Name{Dark, Light} {
		s := MustNew(n, true)
		seen := map[string]string{}
		for name, c := range map[string]Cell{"ringing": s.Table.Ringing, "active": s.Table.Active,
			"held": s.Table.Held, "connecting": s.Table.Connecting, "ending": s.Table.Ending} {
			if len(colours(c.Normal.Open)) == 0 {
				t.Errorf("%s: %s has no colour", n, name)
			}
			if other, dup := seen[c.Normal.Open]; dup {
				t.Errorf("%s: %s and %s look the same", n, name, other)
			}
			seen[c.Normal.Open] = name
		}
	}
}

// A paint writes exactly what its style would.
func TestPaintMatchesStyle(t *testing.T) {
	st := lipgloss.NewStyle().Foreground(lipgloss.Color("#FF8800")).Background(lipgloss.Color("#112233")).Bold(true).Reverse(true)
	for _, text := range []string{"x", "Alice Smith", "山田", ""} {
		if got, want := PaintOf(st).Render(text), st.Render(text); text != "" && got != want {
			t.Errorf("paint %q, style %q", got, want)
		}
	}
	if p := PaintOf(lipgloss.NewStyle()); p.Render("plain") != "plain" {
		t.Errorf("empty style paint adds %q", p.Render("plain"))
	}
	var b strings.Builder
	PaintOf(st).Write(&b, "ab")
	if b.String() != st.Render("ab") {
		t.Errorf("Write %q", b.String())
	}
}
