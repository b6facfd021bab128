package natsconn

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPasswordNeverInClear(t *testing.T) {
	pw := env(map[string]string{PasswordEnv: "s3cret"})
	for _, url := range []string{"nats://nats.example.com:4222", "nats://127.0.0.1:4222,nats://10.0.0.7:4222", "example.org"} {
		_, err := Config{URL: url, User: "agent"}.Options("t", pw, quiet, Handlers{})
		if err == nil || !strings.Contains(err.Error(), "in clear") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v, want a refusal to send the password in clear (and no password in it)", url, err)
		}
	}
	for _, c := range []Config{
		{URL: "tls://nats.example.com:4222", User: "agent"},
		{URL: "nats://nats.example.com:4222", User: "agent", TLSCA: "ca.pem"},
		{URL: "nats://127.0.0.1:4222", User: "agent"},
		{URL: "nats://[::1]:4222", User: "agent"},
		{URL: "nats://localhost:4222", User: "agent"},
		{User: "agent"}, // the default URL is loopback
	} {
		if _, err := c.Options("t", pw, quiet, Handlers{}); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := (Config{User: "agent"}).Options("t", env(nil), quiet, Handlers{}); err == nil || !strings.Contains(err.Error(), PasswordEnv) {
		t.Errorf("no password: %v, want it to name %s", err, PasswordEnv)
	}
}

func TestSecretFilesAreChecked(t *testing.T) {
	dir := t.TempDir()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	loose := filepath.Join(dir, "loose.nk")
	os.WriteFile(loose, seed, 0o644)
	if _, err := (Config{NKey: loose}).Options("t", env(nil), quiet, Handlers{}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a seed others can read: %v", err)
	}
	tight := filepath.Join(dir, "tight.nk")
	os.WriteFile(tight, seed, 0o600)
	if _, err := (Config{NKey: tight}).Options("t", env(nil), quiet, Handlers{}); err != nil {
		t.Fatalf("a good seed file: %v", err)
	}
	junk := filepath.Join(dir, "junk.creds")
	os.WriteFile(junk, []byte("not a creds file"), 0o600)
	if _, err := (Config{Creds: junk}).Options("t", env(nil), quiet, Handlers{}); err == nil || !strings.Contains(err.Error(), "--nats-creds") {
		t.Fatalf("a creds file without a JWT: %v", err)
	}
	if _, err := (Config{NKey: tight, User: "x"}).Options("t", env(map[string]string{PasswordEnv: "p"}), quiet, Handlers{}); err == nil {
		t.Fatal("two ways to log in accepted")
	}
	if _, err := (Config{TLSCert: "c.pem"}).Options("t", env(nil), quiet, Handlers{}); err == nil {
		t.Fatal("a client certificate without its key accepted")
	}
}

// The password may come from a file only its owner can read, which wins
// over the environment; a file others can read is refused.
func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	tight := filepath.Join(dir, "nats.pw")
	os.WriteFile(tight, []byte("from-file\n"), 0o600)
	opts, err := (Config{User: "agent", PasswordFile: tight}).Options("t", env(map[string]string{PasswordEnv: "from-env"}), quiet, Handlers{})
	if err != nil {
		t.Fatal(err)
	}
	var o nats.Options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			t.Fatal(err)
		}
	}
	if o.User != "agent" || o.Password != "from-file" {
		t.Fatalf("user %q password %q, want agent and the file's password", o.User, o.Password)
	}
	loose := filepath.Join(dir, "loose.pw")
	os.WriteFile(loose, []byte("x"), 0o644)
	if _, err := (Config{User: "agent", PasswordFile: loose}).Options("t", env(nil), quiet, Handlers{}); err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), "--nats-password-file") {
		t.Fatalf("a password file others can read: %v", err)
	}
	if _, err := (Config{PasswordFile: tight}).Options("t", env(nil), quiet, Handlers{}); err == nil || !strings.Contains(err.Error(), "--nats-user") {
		t.Fatalf("a password without a user: %v", err)
	}
}

func TestEmbeddedServer(t *testing.T) {
	store := t.TempDir()
	e, err := StartEmbedded(EmbeddedConfig{Listen: "127.0.0.1:0", Store: store}, env(nil), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	// A second server on the same store would corrupt it: refused.
	if _, err := StartEmbedded(EmbeddedConfig{Listen: "127.0.0.1:0", Store: store}, env(nil), quiet); err == nil || !strings.Contains(err.Error(), "store") {
		t.Fatalf("second server on one store: %v", err)
	}
	var closed = make(chan struct{})
	nc, err := Config{URL: e.URL}.Connect(DefaultURL, "test", env(nil), quiet, Handlers{Closed: func() { close(closed) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if !nc.IsConnected() || nc.ConnectedUrl() == "" {
		t.Fatalf("not connected to %s", e.URL)
	}
	nc.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the closed handler was not called")
	}
}

func TestEmbeddedRefusesAnOpenNetworkWithoutUsers(t *testing.T) {
	_, err := StartEmbedded(EmbeddedConfig{Listen: "0.0.0.0:0", Store: t.TempDir()}, env(nil), quiet)
	if err == nil || !strings.Contains(err.Error(), "--nats-config") {
		t.Fatalf("listening on every interface with no users: %v", err)
	}
	for _, bad := range []string{"4222", "127.0.0.1:x", ":4222", "127.0.0.1:70000"} {
		if _, err := StartEmbedded(EmbeddedConfig{Listen: bad, Store: t.TempDir()}, env(nil), quiet); err == nil {
			t.Errorf("--nats-listen %q accepted", bad)
		}
	}
}

func TestEmbeddedWithUsersFromAConfig(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "server.conf")
	os.WriteFile(conf, []byte(`authorization { users = [ { user: relay, password: relay-secret } ] }`), 0o600)
	e, err := StartEmbedded(EmbeddedConfig{Listen: "127.0.0.1:0", Store: t.TempDir(), Config: conf}, env(nil), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	if _, err := nats.Connect(e.URL, nats.Timeout(2*time.Second)); err == nil {
		t.Fatal("a client with no user got in")
	}
	nc, err := Config{URL: e.URL, User: "relay"}.Connect(DefaultURL, "test", env(map[string]string{PasswordEnv: "relay-secret"}), quiet, Handlers{})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Flush(); err != nil {
		t.Fatalf("the relay user could not get in: %v", err)
	}
}

func TestDefaultStore(t *testing.T) {
	got, err := DefaultStore(env(map[string]string{"XDG_STATE_HOME": "/var/x"}))
	if err != nil || got != "/var/x/ringside/nats" {
		t.Fatalf("%q %v", got, err)
	}
	got, err = DefaultStore(env(map[string]string{"XDG_STATE_HOME": "relative"}))
	if err != nil || !strings.HasSuffix(got, filepath.Join(".local", "state", "ringside", "nats")) {
		t.Fatalf("a relative XDG_STATE_HOME is ignored, as the spec says: %q %v", got, err)
	}
}

func TestConnectErrorShowsNoPassword(t *testing.T) {
	_, err := Config{URL: "nats://ann:s3cret@127.0.0.1:1,tls://bob:pw2@[::1]:1"}.Connect(DefaultURL, "t", env(nil), quiet, Handlers{})
	if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw2")) {
		t.Fatalf("the error shows a password: %v", err)
	}
	if got := ShownURLs("nats://ann:s3cret@nats1:4222, tls://bob:pw@nats2:4222,carl:pw@nats3"); got != "nats://nats1:4222,tls://nats2:4222,nats3" {
		t.Fatalf("ShownURLs = %q", got)
	}
}

// TestEmbeddedSaysItsPortIsTaken: a port another program holds is refused
// at once, naming the port and what to do, not after the server's start
// timeout.
func TestEmbeddedSaysItsPortIsTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	_, err = StartEmbedded(EmbeddedConfig{Listen: addr, Store: t.TempDir()}, env(nil), quiet)
	if err == nil {
		t.Fatal("the embedded server started on a port another holds")
	}
	for _, want := range []string{"--nats-listen " + addr, "address already in use", "--nats nats://" + addr} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
