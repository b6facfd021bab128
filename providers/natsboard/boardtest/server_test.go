package boardtest

import (
	"context"
	"testing"
	"time"

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
