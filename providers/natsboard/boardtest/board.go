package boardtest

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
)

// Board is a board written by hand as a relay writes it.
type Board struct {
	t    testing.TB
	Name string
	Meta wire.Meta
	nc   *nats.Conn
	js   jetstream.JetStream
	KV   jetstream.KeyValue

	mu       sync.Mutex
	leaseRev uint64
	svc      micro.Service
	handler  Handler
	got      []Request
}

// Handler answers an action request: a reply, or an error classified as
// the relay classifies its provider's (wire.Classify).
type Handler func(endpoint string, req wire.Request) (wire.Reply, error)

// Request is an action request the board's service received.
type Request struct {
	Endpoint string
	Body     wire.Request
	// DeadlineMs is the wire.DeadlineHeader it carried.
	DeadlineMs int64
}

// Meta is a board record offering the actions named, with every reject
// reason: what a relay of the demo provider writes.
func Meta(board, provider string, offers ...providers.Action) wire.Meta {
	m := wire.Meta{Board: board, Provider: provider, History: wire.DefaultHistory.String(), HistoryMax: wire.DefaultHistoryMax}
	for _, a := range offers {
		m.Offers = append(m.Offers, a.String())
	}
	for _, r := range providers.RejectReasons {
		m.RejectReasons = append(m.RejectReasons, string(r))
	}
	return m
}

// Publish creates the board's bucket as a relay does (history 1, ended
// calls expire after the default history, per-key TTLs on) and writes its
// record. It neither takes the lease nor serves actions: see TakeLease
// and Serve.
func Publish(t testing.TB, nc *nats.Conn, meta wire.Meta) *Board {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: wire.Bucket(meta.Board), History: 1, TTL: wire.DefaultHistory, LimitMarkerTTL: time.Second,
		MaxValueSize: wire.MaxValue, Storage: jetstream.FileStorage, Replicas: 1,
	})
	if err != nil {
		t.Fatalf("bucket of board %s: %v", meta.Board, err)
	}
	b := &Board{t: t, Name: meta.Board, Meta: meta, nc: nc, js: js, KV: kv}
	body, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	b.putNever(wire.KeyMeta, body)
	return b
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// putNever writes key exempt from the bucket's TTL (Nats-TTL: never), as
// a relay writes live calls, the status and the record.
func (b *Board) putNever(key string, value []byte) uint64 {
	b.t.Helper()
	m := nats.NewMsg("$KV." + wire.Bucket(b.Name) + "." + key)
	m.Data = value
	m.Header.Set(jetstream.MsgTTLHeader, "never")
	ack, err := b.js.PublishMsg(testCtx(b.t), m)
	if err != nil {
		b.t.Fatalf("write %s: %v", key, err)
	}
	return ack.Sequence
}

// Call writes c as the relay writes a call: live with no TTL, ended with a
// plain put (it then expires with the history). It returns the revision.
func (b *Board) Call(c providers.Call) uint64 {
	b.t.Helper()
	body, err := jsonstream.MarshalCall(c)
	if err != nil {
		b.t.Fatal(err)
	}
	if c.State.Live() {
		return b.putNever(wire.CallKey(c.ID), body)
	}
	return b.Put(wire.CallKey(c.ID), body)
}

// Calls writes many live calls at once, as a relay catching up does
// (asynchronous publishes, then all their acknowledgements).
func (b *Board) Calls(calls []providers.Call) {
	b.t.Helper()
	for _, c := range calls {
		body, err := jsonstream.MarshalCall(c)
		if err != nil {
			b.t.Fatal(err)
		}
		m := nats.NewMsg("$KV." + wire.Bucket(b.Name) + "." + wire.CallKey(c.ID))
		m.Data = body
		m.Header.Set(jetstream.MsgTTLHeader, "never")
		if _, err := b.js.PublishMsgAsync(m); err != nil {
			b.t.Fatalf("write %s: %v", c.ID, err)
		}
	}
	select {
	case <-b.js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.t.Fatal("calls not acknowledged within a minute")
	}
}

// Put writes value under key as it is (what a careless or hostile writer
// could).
func (b *Board) Put(key string, value []byte) uint64 {
	b.t.Helper()
	rev, err := b.KV.Put(testCtx(b.t), key, value)
	if err != nil {
		b.t.Fatalf("put %s: %v", key, err)
	}
	return rev
}

// Delete deletes key, leaving a delete marker.
func (b *Board) Delete(key string) {
	b.t.Helper()
	if err := b.KV.Delete(testCtx(b.t), key); err != nil {
		b.t.Fatalf("delete %s: %v", key, err)
	}
}

// Purge purges key and, once its marker has gone, leaves no trace of it:
// a key gone while nobody watched.
func (b *Board) Purge(key string) {
	b.t.Helper()
	if err := b.KV.Purge(testCtx(b.t), key, jetstream.PurgeTTL(time.Second)); err != nil {
		b.t.Fatalf("purge %s: %v", key, err)
	}
}

// Status writes the relay's provider status.
func (b *Board) Status(st providers.Status) {
	b.t.Helper()
	line, err := jsonstream.MarshalEvent(b.Meta.Provider, providers.StatusEvent(time.Now(), st))
	if err != nil {
		b.t.Fatal(err)
	}
	b.putNever(wire.KeyStatus, line)
}

// TakeLease takes the board's lease as a starting relay does.
func (b *Board) TakeLease() {
	b.t.Helper()
	body, err := json.Marshal(wire.NewLease("boardtest", time.Now()))
	if err != nil {
		b.t.Fatal(err)
	}
	rev, err := b.KV.Create(testCtx(b.t), wire.KeyLease, body, jetstream.KeyTTL(wire.LeaseTTL))
	if err != nil {
		b.t.Fatalf("lease of board %s: %v", b.Name, err)
	}
	b.mu.Lock()
	b.leaseRev = rev
	b.mu.Unlock()
}

// RenewLease renews the lease as a relay does every wire.RenewEvery.
func (b *Board) RenewLease() error {
	b.mu.Lock()
	rev := b.leaseRev
	b.mu.Unlock()
	body, _ := json.Marshal(wire.NewLease("boardtest", time.Now()))
	m := nats.NewMsg("$KV." + wire.Bucket(b.Name) + "." + wire.KeyLease)
	m.Data = body
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ack, err := b.js.PublishMsg(ctx, m, jetstream.WithExpectLastSequencePerSubject(rev), jetstream.WithMsgTTL(wire.LeaseTTL))
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.leaseRev = ack.Sequence
	b.mu.Unlock()
	return nil
}

// ReleaseLease deletes the lease as a relay that stops cleanly does.
func (b *Board) ReleaseLease() {
	b.t.Helper()
	b.mu.Lock()
	rev := b.leaseRev
	b.mu.Unlock()
	if err := b.KV.Delete(testCtx(b.t), wire.KeyLease, jetstream.LastRevision(rev)); err != nil {
		b.t.Fatalf("release the lease of board %s: %v", b.Name, err)
	}
}

// PurgeLease purges the lease, which is what watchers see when it expires.
func (b *Board) PurgeLease() {
	b.t.Helper()
	if err := b.KV.Purge(testCtx(b.t), wire.KeyLease); err != nil {
		b.t.Fatalf("purge the lease of board %s: %v", b.Name, err)
	}
}

// Serve answers the board's action subjects with h, as a relay's micro
// service does: one endpoint per action the record offers, and the agent
// endpoints when it says agent_control. It stops when the test ends.
func (b *Board) Serve(h Handler) {
	b.t.Helper()
	svc, err := micro.AddService(b.nc, micro.Config{Name: wire.ServiceName, Version: wire.ServiceVersion,
		Metadata: map[string]string{"board": b.Name, "provider": b.Meta.Provider}})
	if err != nil {
		b.t.Fatal(err)
	}
	g := svc.AddGroup(wire.ActionGroup(b.Name))
	endpoints := append([]string(nil), b.Meta.Offers...)
	if b.Meta.AgentControl {
		endpoints = append(endpoints, wire.EndpointAgentChoices, wire.EndpointAgentState)
	}
	for _, name := range endpoints {
		if err := g.AddEndpoint(name, micro.HandlerFunc(func(r micro.Request) { b.answer(name, r) })); err != nil {
			b.t.Fatal(err)
		}
	}
	b.mu.Lock()
	b.svc, b.handler = svc, h
	b.mu.Unlock()
	b.t.Cleanup(func() { svc.Stop() })
}

// StopServing stops the service: requests then find no responders.
func (b *Board) StopServing() {
	b.mu.Lock()
	svc := b.svc
	b.mu.Unlock()
	if svc != nil {
		svc.Stop()
	}
	// The service drains its subscriptions; a round trip makes sure the
	// server has dropped them before the test goes on.
	if err := b.nc.Flush(); err != nil {
		b.t.Fatal(err)
	}
}

func (b *Board) answer(endpoint string, r micro.Request) {
	var req wire.Request
	if err := json.Unmarshal(r.Data(), &req); err != nil {
		r.Error(wire.CodeBadRequest, "the request is not JSON: "+err.Error(), nil)
		return
	}
	ms, _ := strconv.ParseInt(r.Headers().Get(wire.DeadlineHeader), 10, 64)
	b.mu.Lock()
	b.got = append(b.got, Request{Endpoint: endpoint, Body: req, DeadlineMs: ms})
	h := b.handler
	b.mu.Unlock()
	reply, err := h(endpoint, req)
	if err == nil {
		reply.OK = true
		r.RespondJSON(reply)
		return
	}
	code, refusal := wire.Classify(err)
	var data []byte
	if refusal != nil {
		data, _ = json.Marshal(refusal)
	}
	r.Error(code, err.Error(), data)
}

// Requests are the action requests served so far.
func (b *Board) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.got...)
}

// OK answers every request with success.
func OK(string, wire.Request) (wire.Reply, error) { return wire.Reply{}, nil }
