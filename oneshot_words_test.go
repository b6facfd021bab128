package main

import (
	"net/http/httptest"
	"testing"

	"ringside/providers/genesys"
	"ringside/providers/genesys/gwstest"
	"ringside/ui"
)

// A one-shot command acts through the console's action table and reports
// in its words: "answered R1", "rejected R2", "hung up A1".
func TestOneShotReportsInTheConsolesWords(t *testing.T) {
	gws := gwstest.New(gwstest.Options{User: "agent", Password: "pw"})
	srv := httptest.NewServer(gws)
	defer srv.Close()
	gws.SetBaseURL(srv.URL)
	gws.Put(gwstest.QueueCall("R1", "5125", "9000"))
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
