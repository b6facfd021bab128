package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
)

// relayRun is `ringside relay …` running in the test's process.
type relayRun struct {
	te     *testEnv
	stderr *lockedBuffer
	code   chan int
}

func startRelayCmd(t *testing.T, args ...string) *relayRun {
	t.Helper()
	rr := &relayRun{te: newTestEnv(nil), stderr: &lockedBuffer{}, code: make(chan int, 1)}
	e := rr.te.env()
	e.stderr = rr.stderr
	go func() { rr.code <- run(append([]string{"relay"}, args...), e) }()
	t.Cleanup(func() { rr.interrupt(t) })
	return rr
}

var listening = regexp.MustCompile(`embedded NATS server listening on (nats://127\.0\.0\.1:[0-9]+)`)

// url is where the relay's embedded server listens, as it says on stderr.
func (rr *relayRun) url(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(rr.stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-rr.code:
			rr.code <- code
			t.Fatalf("the relay exited %d:\n%s", code, rr.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relay never said where it listens:\n%s", rr.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// interrupt stops the relay as SIGINT would; its exit code.
func (rr *relayRun) interrupt(t *testing.T) int {
	t.Helper()
	rr.te.interrupt()
	return rr.exit(t)
}

// exit waits for the relay to exit; after it, its output may be read.
func (rr *relayRun) exit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-rr.code:
		rr.code <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("the relay did not exit")
	}
	return 0
}

// boardKV waits until a NATS server answers at url with the board's
// bucket, and returns it.
func boardKV(t *testing.T, url, board string) jetstream.KeyValue {
	t.Helper()
	nc, err := nats.Connect(url, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1),
		nats.ReconnectWait(20*time.Millisecond), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		kv, err := js.KeyValue(ctx, wire.Bucket(board))
		cancel()
		if err == nil {
			return kv
		}
		if time.Now().After(deadline) {
			t.Fatalf("no bucket for board %s at %s: %v", board, url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveCalls counts the calls on the board that decode and have not ended.
func liveCalls(t *testing.T, kv jetstream.KeyValue) int {
	t.Helper()
	keys, err := kv.ListKeysFiltered(context.Background(), wire.CallsPattern)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k := range keys.Keys() {
		e, err := kv.Get(context.Background(), k)
		if err != nil {
			continue
		}
		if c, err := jsonstream.UnmarshalCall(e.Value()); err == nil && c.State.Live() {
			n++
		}
	}
	return n
}

// TestRelayCommandPublishesTheDemo: `ringside relay` without --nats starts
// the embedded server, says where it listens and keeps its store, publishes
// the demo's calls, and on SIGINT stops with the lease deleted.
func TestRelayCommandPublishesTheDemo(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	rr := startRelayCmd(t, "--board", "front", "--demo-seed", "5", "--demo-calls", "3", "--demo-rate", "0",
		"--nats-listen", "127.0.0.1:0", "--nats-store", store, "--log", filepath.Join(dir, "relay.log"))
	url := rr.url(t)
	kv := boardKV(t, url, "front")
	deadline := time.Now().Add(30 * time.Second)
	for liveCalls(t, kv) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the demo's three calls never reached the board")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := rr.interrupt(t); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, rr.stderr.String())
	}
	said := rr.stderr.String()
	for _, want := range []string{"embedded NATS server listening on " + url, "store " + store, "demo: live", "lease released"} {
		if !strings.Contains(said, want) {
			t.Errorf("stderr lacks %q:\n%s", want, said)
		}
	}
	if n := strings.Count(said, "\n"); n > 10 {
		t.Errorf("stderr is for notable events, not every call: %d lines\n%s", n, said)
	}
	log, err := os.ReadFile(filepath.Join(dir, "relay.log"))
	if err != nil || !strings.Contains(string(log), `"msg":"lease released"`) {
		t.Fatalf("log: %v\n%s", err, log)
	}

	// The store keeps the board; the lease is gone.
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: store, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server on the relay's store did not start")
	}
	kv = boardKV(t, ns.ClientURL(), "front")
	if _, err := kv.Get(context.Background(), wire.KeyLease); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("the lease after a clean stop: %v", err)
	}
	if n := liveCalls(t, kv); n != 3 {
		t.Fatalf("%d live calls kept on the board", n)
	}
}

// TestRelayCommandRefusals: a wrong command line exits 2; a board another
// relay holds, or a NATS that does not answer, exits 1 in words.
func TestRelayCommandRefusals(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--board", "a.b"}, "--board"},
		{[]string{"--board", "ok", "--history-max", "0"}, "--history-max 0"},
		{[]string{"--board", "ok", "--history", "200ms"}, "--history 200ms"},
		{[]string{"--board", "ok", "--nats-replicas", "9"}, "--nats-replicas 9"},
	} {
		te := newTestEnv(nil)
		if code := run(append([]string{"relay"}, c.args...), te.env()); code != exitUsage || !strings.Contains(te.stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, te.stderr.String())
		}
	}
	te := newTestEnv(nil)
	if code := run([]string{"relay"}, te.env()); code != exitUsage || !strings.Contains(te.stderr.String(), "--board") {
		t.Errorf("no board: exit %d, stderr %q", code, te.stderr.String())
	}

	// A port that takes connections and never speaks NATS.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dead := "nats://" + l.Addr().String()
	te = newTestEnv(nil)
	if code := run([]string{"relay", "--board", "x", "--nats", dead, "--nats-wait", "300ms"}, te.env()); code != exitFailed ||
		!strings.Contains(te.stderr.String(), "no NATS server answered at "+dead+" within 300ms") || !strings.Contains(te.stderr.String(), "--nats-wait") {
		t.Errorf("unreachable: exit %d, stderr %q", code, te.stderr.String())
	}

	// The embedded server's port already taken: said at once.
	te = newTestEnv(nil)
	if code := run([]string{"relay", "--board", "x", "--nats-listen", l.Addr().String(), "--nats-store", t.TempDir()}, te.env()); code != exitFailed ||
		!strings.Contains(te.stderr.String(), "--nats-listen "+l.Addr().String()) || !strings.Contains(te.stderr.String(), "give --nats nats://"+l.Addr().String()) {
		t.Errorf("taken port: exit %d, stderr %q", code, te.stderr.String())
	}

	first := startRelayCmd(t, "--board", "held", "--demo-rate", "0", "--nats-listen", "127.0.0.1:0", "--nats-store", t.TempDir())
	url := first.url(t)
	kv := boardKV(t, url, "held")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := kv.Get(context.Background(), wire.KeyLease); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first relay never took its lease")
		}
		time.Sleep(20 * time.Millisecond)
	}
	te = newTestEnv(nil)
	host, _ := os.Hostname()
	code := run([]string{"relay", "--board", "held", "--nats", url}, te.env())
	if want := fmt.Sprintf("already published by the relay on %s (pid %d", host, os.Getpid()); code != exitFailed || !strings.Contains(te.stderr.String(), want) {
		t.Errorf("held: exit %d, stderr %q, want %q", code, te.stderr.String(), want)
	}
	if code := first.interrupt(t); code != exitOK {
		t.Fatalf("the first relay: exit %d\n%s", code, first.stderr.String())
	}
}
