package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"ringside/providers/genesys"
	"ringside/providers/genesys/gwstest"
	"ringside/ui"
)

// oneShotGWS starts a fake GWS for the user "agent" (password "pw") holding
// the call given.
func oneShotGWS(t *testing.T, call gwstest.Call) (*gwstest.Server, *httptest.Server) {
	t.Helper()
	gws := gwstest.New(gwstest.Options{User: "agent", Password: "pw"})
	srv := httptest.NewServer(gws)
	t.Cleanup(srv.Close)
	gws.SetBaseURL(srv.URL)
	gws.Put(call)
	return gws, srv
}

// A one-shot command acts through the console's action table and reports
// in its words: "answered R1", "rejected R2", "hung up A1".
func TestOneShotReportsInTheConsolesWords(t *testing.T) {
	gws, srv := oneShotGWS(t, gwstest.QueueCall("R1", "5125", "9000"))
	gws.Put(gwstest.QueueCall("R2", "5126", "9000"))
	gws.Put(gwstest.ActiveCall("A1", "5127"))

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"answer", "R1"}, "answered R1\n"},
		{[]string{"reject", "R2"}, "rejected R2\n"},
		{[]string{"hangup", "A1"}, "hung up A1\n"},
	} {
		te := newTestEnv(map[string]string{genesys.PasswordEnv: "pw"})
		args := append([]string{"--provider", "genesys", "--genesys-url", srv.URL, "--genesys-user", "agent"}, tt.args...)
		if code := run(args, te.env()); code != exitOK || te.stdout.String() != tt.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", tt.args, code, te.stdout.String(), te.stderr.String(), exitOK, tt.want)
		}
	}
}

// The console's own default for a request's time is the flag's.
func TestActionTimeoutDefaultIsTheFlags(t *testing.T) {
	te := newTestEnv(nil)
	c, _, _, ok := parseArgs([]string{"console"}, te.env())
	if !ok {
		t.Fatalf("parse: %s", te.stderr.String())
	}
	if c.Console.ActionTimeout != ui.DefaultActionTimeout {
		t.Errorf("--action-timeout defaults to %s, the console to %s", c.Console.ActionTimeout, ui.DefaultActionTimeout)
	}
}

// A server's refusal reaches stderr in its words, without the escape
// sequences, controls and bidi characters it carried: a clipboard write, a
// screen clear or a reversed word would otherwise act on the terminal of
// whoever runs the command.
func TestOneShotRefusalReachesStderrClean(t *testing.T) {
	gws, srv := oneShotGWS(t, gwstest.QueueCall("R1", "5125", "9000"))
	gws.FailNext("Answer", 3, "Call\x1b]52;c;aGk=\x07 is\u0085not \u202eringing\x1b[2J\u009b31m now")

	te := newTestEnv(map[string]string{genesys.PasswordEnv: "pw"})
	args := []string{"--provider", "genesys", "--genesys-url", srv.URL, "--genesys-user", "agent", "answer", "R1"}
	if code := run(args, te.env()); code != exitFailed {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitFailed, te.stderr.String())
	}
	got := te.stderr.String()
	if strings.ContainsAny(got, "\x1b\x07\u0085\u009b\u202e") || strings.Contains(got, "52;c") || strings.Contains(got, "2J") {
		t.Fatalf("stderr keeps what the server sent for the terminal: %q", got)
	}
	if !strings.Contains(got, "Call is not ringing now") {
		t.Fatalf("stderr lost the server's words: %q", got)
	}
}
