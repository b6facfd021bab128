package boardtest

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// retry runs f until it succeeds, for at most d.
func retry(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRestartKeepsPortAndStore(t *testing.T) {
	s := Start(t)
	js := connect(t, s.URL)
	ctx := context.Background()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	retry(t, 10*time.Second, "read after restart", func() error {
		e, err := kv.Get(ctx, "k")
		if err == nil && string(e.Value()) != "v" {
			t.Fatalf("value %q after restart", e.Value())
		}
		return err
	})
}

func TestClusterSurvivesANode(t *testing.T) {
	c := StartCluster(t, 3)
	js := connect(t, c.URLs())
	ctx := context.Background()
	var kv jetstream.KeyValue
	retry(t, 20*time.Second, "create an R3 bucket", func() (err error) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "b", Replicas: 3})
		return err
	})
	c.Nodes[0].Stop()
	retry(t, 20*time.Second, "write with a node gone", func() error {
		_, err := kv.Put(ctx, "k", []byte("after"))
		return err
	})
	// A KV read is a direct get, which any replica may answer: one that
	// has not applied the write yet says "key not found" for a moment.
	retry(t, 10*time.Second, "read with a node gone", func() error {
		e, err := kv.Get(ctx, "k")
		if err == nil && string(e.Value()) != "after" {
			t.Fatalf("read %q, want after", e.Value())
		}
		return err
	})
}

// holdPort listens on a loopback port for the rest of the test.
func holdPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func TestBootNamesATakenPort(t *testing.T) {
	port := holdPort(t)
	s := &Server{t: t, opts: &server.Options{ServerName: "clash", Host: "127.0.0.1", Port: port, NoSigs: true, NoLog: true}}
	err := s.tryBoot()
	if err == nil {
		s.Stop()
		t.Fatal("a server started on a port another holds")
	}
	if want := "port " + strconv.Itoa(port) + " taken"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	if s.srv != nil {
		t.Fatal("a server that did not come up is kept")
	}
}

// TestClusterStartsAgainWhenAPortIsTaken: a port chosen for the cluster
// and taken before its server starts costs one more attempt, not the test.
func TestClusterStartsAgainWhenAPortIsTaken(t *testing.T) {
	defer func(f func(testing.TB) int) { freePort = f }(freePort)
	taken := holdPort(t)
	var chosen []int
	freePort = func(tb testing.TB) int {
		p := anyFreePort(tb)
		if len(chosen) == 2 { // the second node's client port
			p = taken
		}
		chosen = append(chosen, p)
		return p
	}
	c := StartCluster(t, 3)
	if len(chosen) != 12 {
		t.Fatalf("chose %d ports, want 6 for the lost attempt and 6 for the next", len(chosen))
	}
	for _, n := range c.Nodes {
		if n.opts.Port == taken {
			t.Fatalf("node %s runs on the taken port", n.opts.ServerName)
		}
	}
	js := connect(t, c.URLs())
	retry(t, 20*time.Second, "create an R3 bucket", func() error {
		_, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: "b", Replicas: 3})
		return err
	})
}
