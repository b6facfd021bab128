package wire

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"ringside/providers"
)

func TestCallKeyRoundTrip(t *testing.T) {
	for _, id := range []string{"c1", "a.b", ".lead", "trail.", "a..b", "019a2c3d-4e5f_x", strings.Repeat("x", 128)} {
		key := CallKey(id)
		if strings.HasPrefix(key[len(CallPrefix):], ".") || strings.HasSuffix(key, ".") || strings.Contains(key, "..") {
			t.Errorf("CallKey(%q) = %q is not a valid KV key", id, key)
		}
		if strings.Count(key, ".") != 1 {
			t.Errorf("CallKey(%q) = %q: want exactly one token after calls. so calls.* matches it", id, key)
		}
		back, ok := CallID(key)
		if !ok || back != id {
			t.Errorf("CallID(CallKey(%q)) = %q, %v", id, back, ok)
		}
	}
	for _, key := range []string{"status", "calls.", "calls.a b", "relay", "calls." + strings.Repeat("x", 129), "callsx.a"} {
		if id, ok := CallID(key); ok {
			t.Errorf("CallID(%q) = %q, want refused", key, id)
		}
	}
}

func TestCheckBoard(t *testing.T) {
	for _, ok := range []string{"demo", "sales-uk_2", strings.Repeat("b", 64)} {
		if err := CheckBoard(ok); err != nil {
			t.Errorf("CheckBoard(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a.b", "a b", "a>", "*", strings.Repeat("b", 65), "é", "a\x1b[2J"} {
		err := CheckBoard(bad)
		if err == nil {
			t.Errorf("CheckBoard(%q) accepted it", bad)
			continue
		}
		if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("the error quotes an escape sequence: %q", err)
		}
	}
}

// TestErrorsCrossTheWire: what the relay classifies, the console rebuilds
// with the same words and the same kind.
func TestErrorsCrossTheWire(t *testing.T) {
	refused := &providers.RefusedError{Status: 403, Code: "Forbidden", Message: "no", RequestID: "r-1"}
	for name, tc := range map[string]struct {
		err  error
		code string
		is   error
	}{
		"ended":       {fmt.Errorf("answer c1: %w", providers.ErrEnded), CodeEnded, providers.ErrEnded},
		"not found":   {fmt.Errorf("answer c1: %w", providers.ErrNotFound), CodeNotFound, providers.ErrNotFound},
		"not allowed": {fmt.Errorf("hold c1: %w", providers.ErrNotAllowed), CodeNotAllowed, providers.ErrNotAllowed},
		"bad target":  {fmt.Errorf("%w: no address", providers.ErrBadTarget), CodeBadTarget, providers.ErrBadTarget},
		"timeout":     {fmt.Errorf("answer c1: %w", context.DeadlineExceeded), CodeTimeout, context.DeadlineExceeded},
		"other":       {errors.New("disk on fire"), CodeFailed, nil},
		"refused":     {fmt.Errorf("reject c1: %w", refused), CodeRefused, nil},
		// Graph's "call not found" is its server's 404: both kinds hold.
		"not found, refused": {fmt.Errorf("answer c1: the call no longer exists: %w", &goneError{refused}), CodeNotFound, providers.ErrNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			code, refusal := Classify(tc.err)
			if code != tc.code {
				t.Fatalf("Classify = %s, want %s", code, tc.code)
			}
			got := ErrorFrom(code, tc.err.Error(), refusal)
			if got.Error() != tc.err.Error() {
				t.Fatalf("words %q, want %q", got.Error(), tc.err.Error())
			}
			if tc.is != nil && !errors.Is(got, tc.is) {
				t.Fatalf("%v does not match %v", got, tc.is)
			}
			if name == "ended" && !errors.Is(got, providers.ErrNotFound) {
				t.Fatal("an ended call is also not found, as in the contract")
			}
			if name == "refused" || name == "not found, refused" {
				var r *providers.RefusedError
				if !errors.As(got, &r) || *r != *refused {
					t.Fatalf("refusal %+v, want %+v", r, refused)
				}
			}
		})
	}
}

// goneError is a not-found that a server's refusal said, as Graph's is.
type goneError struct{ refused *providers.RefusedError }

func (e *goneError) Error() string   { return e.refused.Error() }
func (e *goneError) Unwrap() []error { return []error{providers.ErrNotFound, e.refused} }

func TestErrorFromCleansAndBounds(t *testing.T) {
	e := ErrorFrom(CodeFailed, "boom\x1b]0;owned\x07"+strings.Repeat("x", 5000), nil)
	if strings.ContainsAny(e.Error(), "\x1b\x07") || len(e.Error()) > MaxWords+16 {
		t.Fatalf("words not cleaned or bounded: %d bytes %q…", len(e.Error()), e.Error()[:20])
	}
	if got := ErrorFrom("999", "", nil).Error(); !strings.Contains(got, "999") {
		t.Fatalf("an empty description says nothing useful: %q", got)
	}
}

func TestTargetOnTheWire(t *testing.T) {
	in := providers.Target{Name: "Bo", Kind: providers.TargetUser, GraphID: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f", Phone: "+351210000001"}
	out, err := TargetOf(in).Target()
	if err != nil || out != in {
		t.Fatalf("round trip %+v, %v", out, err)
	}
	if _, err := (&Target{GraphID: "not-a-guid"}).Target(); !errors.Is(err, providers.ErrBadTarget) {
		t.Fatalf("bad target accepted: %v", err)
	}
	var none *Target
	if _, err := none.Target(); !errors.Is(err, providers.ErrBadTarget) {
		t.Fatalf("no target accepted: %v", err)
	}
}

func TestMeta(t *testing.T) {
	m := Meta{Board: "b", Provider: "graph", Offers: []string{"answer", "teleport", "hold"}, RejectReasons: []string{"busy", "bogus"}}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	if c := m.Capabilities(); c != providers.Caps(providers.ActionAnswer, providers.ActionHold) {
		t.Fatalf("capabilities %v", c.Names())
	}
	if r := m.Reasons(); len(r) != 1 || r[0] != providers.ReasonBusy {
		t.Fatalf("reasons %v", r)
	}
	for _, bad := range []Meta{{Board: "a.b", Provider: "x"}, {Board: "b"}, {Board: "b", Provider: "x", Offers: make([]string, 99)}} {
		if bad.Check() == nil {
			t.Errorf("Check(%+v) passed", bad)
		}
	}
}
