package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"ringside/providers"
	"ringside/theme"
)

func TestCountdown(t *testing.T) {
	c := ringing("c", "C", t0) // 15 s window from t0
	tests := []struct {
		at      time.Duration // after arrival
		secs    int64
		eighths int // of a 10-cell bar (80 eighths)
		level   int
		expired bool
	}{
		{0, 15, 80, levelGreen, false},
		{100 * time.Millisecond, 15, 80, levelGreen, false},
		{time.Second, 14, 75, levelGreen, false},
		{7 * time.Second, 8, 43, levelGreen, false},
		{7600 * time.Millisecond, 8, 40, levelAmber, false},
		{11 * time.Second, 4, 22, levelAmber, false},
		{11500 * time.Millisecond, 4, 19, levelRed, false},
		{14900 * time.Millisecond, 1, 1, levelRed, false},
		{15 * time.Second, 0, 0, levelRed, true},
		{time.Minute, 0, 0, levelRed, true},
		{-5 * time.Second, 20, 80, levelGreen, false}, // clock behind the provider: full bar
	}
	for _, tt := range tests {
		cd := countdownAt(&c, t0.Add(tt.at), 10)
		if cd.secs != tt.secs || cd.eighths != tt.eighths || cd.level != tt.level || cd.expired() != tt.expired {
			t.Errorf("at +%v: %+v (expired %v), want secs %d eighths %d level %d expired %v",
				tt.at, cd, cd.expired(), tt.secs, tt.eighths, tt.level, tt.expired)
		}
	}
	none := c
	none.AnswerBy = time.Time{}
	if cd := countdownAt(&none, t0, 10); cd.deadline || cd.expired() {
		t.Errorf("no deadline: %+v", cd)
	}
	// Without an arrival time the default window is used.
	noArrival := c
	noArrival.Arrived = time.Time{}
	if cd := countdownAt(&noArrival, t0.Add(7500*time.Millisecond), 10); cd.eighths != 40 {
		t.Errorf("default window: %+v", cd)
	}
}

// The bar is always exactly its width, whatever is left.
func TestBarWidth(t *testing.T) {
	st := theme.MustNew(theme.Mono, true)
	c := ringing("c", "C", t0)
	for ms := -1000; ms <= 16000; ms += 37 {
		for _, w := range []int{6, 8, 10} {
			var b strings.Builder
			writeBar(&b, &st.Table, countdownAt(&c, t0.Add(time.Duration(ms)*time.Millisecond), w), w, ms%2 == 0)
			if got := ansi.StringWidth(b.String()); got != w {
				t.Fatalf("bar at +%dms, width %d: %d cells %q", ms, w, got, ansi.Strip(b.String()))
			}
		}
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"Alice", 8, "Alice   "},
		{"Alice Smith", 8, "Alice S…"},
		{"山田太郎", 8, "山田太郎"},
		{"山田太郎さん", 8, "山田太…"}, // 6+1 cells, padded to 8
		{"Zoë 👩‍💻 Dev", 9, "Zoë 👩‍💻 D…"},
		{"\x1b[31mred\x1b[0m\nname", 10, "red name  "},
		{"tab\there", 9, "tab here "},
		{"x", 0, ""},
		{"xy", 1, "…"},
	}
	for _, tt := range tests {
		got := fit(tt.in, tt.w)
		if ansi.StringWidth(got) != tt.w {
			t.Errorf("fit(%q, %d) = %q is %d cells wide", tt.in, tt.w, got, ansi.StringWidth(got))
		}
		if strings.TrimRight(got, " ") != strings.TrimRight(tt.want, " ") {
			t.Errorf("fit(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
	if got := fitRight("15s", 5); got != "  15s" {
		t.Errorf("fitRight = %q", got)
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0:00", 5 * time.Second: "0:05", 192 * time.Second: "3:12",
		time.Hour + 2*time.Minute + 3*time.Second: "1:02:03", -time.Second: "0:00",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for secs, want := range map[int64]string{15: "15s", 0: "0s", 99: "99s", 100: "2m", 7200: "2h"} {
		if got := formatLeft(secs); got != want {
			t.Errorf("formatLeft(%d) = %q, want %q", secs, got, want)
		}
	}
	c := providers.Call{Queue: "Sales", To: providers.Party{Name: "Bob", Kind: providers.KindUser}}
	if got := calleeText(&c); got != "Sales › Bob" {
		t.Errorf("calleeText = %q", got)
	}
	c.To = providers.Party{}
	if got := calleeText(&c); got != "Sales" {
		t.Errorf("calleeText without callee = %q", got)
	}
	if got := modalitiesText([]string{"audio", "videoBasedScreenSharing", "unknown"}); got != "audio screen" {
		t.Errorf("modalitiesText = %q", got)
	}
}
