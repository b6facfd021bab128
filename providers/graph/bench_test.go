package graph

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

// placeholder is a call id of fixed width in the body templates, overwritten
// in place for every request so each call is new.
const placeholder = "00000000-0000-4000-8000-000000000000"

// benchBodies are the three notifications of a call's life: offered,
// answered, ended with a reason. Request i is phase i%3 of call i/3.
func benchBodies() [3][]byte {
	return [3][]byte{
		graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), placeholder),
		graphtest.StateChange(placeholder, "updated", "established", nil),
		graphtest.StateChange(placeholder, "deleted", "terminated", &graphtest.ResultInfo{Code: "200", Subcode: "5001", Message: "The conversation has ended."}),
	}
}

// fill writes request i's body into buf: phase i%3 of call i/3.
func fill(buf []byte, bodies *[3][]byte, i uint64) []byte {
	buf = append(buf[:0], bodies[i%3]...)
	id := fmt.Appendf(nil, "%08x-0000-4000-8000-%012x", uint32(i/3>>48), i/3&0xffffffffffff)
	for off := 0; ; {
		at := bytes.Index(buf[off:], []byte(placeholder))
		if at < 0 {
			return buf
		}
		copy(buf[off+at:], id)
		off += at + len(placeholder)
	}
}

// target is a webhook under test: where to post, with which Authorization.
type target struct {
	url, auth string
	client    *http.Client
}

func newTarget(url, auth string) target {
	return target{url: url, auth: auth, client: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
	}}
}

func (t target) post(b *testing.B, body []byte) bool {
	req, _ := http.NewRequest(http.MethodPost, t.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if t.auth != "" {
		req.Header.Set("Authorization", t.auth)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		b.Error(err)
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b.Errorf("status %d", resp.StatusCode)
		return false
	}
	return true
}

// benchPost sends notifications as fast as b's goroutines can, each request
// with a fresh copy of the body carrying its call's id.
func benchPost(b *testing.B, t target) {
	bodies := benchBodies()
	defer t.client.CloseIdleConnections()
	var n atomic.Uint64
	b.SetParallelism(clients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 2048)
		for pb.Next() {
			buf = fill(buf, &bodies, n.Add(1))
			if !t.post(b, buf) {
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
}

// clients is the number of posting goroutines per CPU.
const clients = 4

// burst posts count notifications to t from clients*GOMAXPROCS goroutines
// and returns how long it took.
func burst(b *testing.B, t target, bodies *[3][]byte, next *atomic.Uint64, count int) time.Duration {
	workers := clients * runtime.GOMAXPROCS(0)
	var left atomic.Int64
	left.Store(int64(count))
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			buf := make([]byte, 0, 2048)
			for left.Add(-1) >= 0 {
				buf = fill(buf, bodies, next.Add(1))
				if !t.post(b, buf) {
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkWebhook measures notifications per second over loopback HTTP:
// "bare" is a net/http handler that only reads the body and answers 202;
// "ringside" is the provider's webhook with token validation on, decoding
// every body and applying it to the ledger, with a consumer draining the
// events. Both receive the same requests, Authorization header included, so
// the difference is what the webhook does with them. Run both in one
// invocation and compare the notifications/s lines.
func BenchmarkWebhook(b *testing.B) {
	url, auth, stop := startForBench(b)
	defer stop()
	b.Run("bare", func(b *testing.B) {
		srv := httptest.NewServer(bareHandler())
		defer srv.Close()
		benchPost(b, newTarget(srv.URL+"/api/calls", auth))
	})
	b.Run("ringside", func(b *testing.B) {
		benchPost(b, newTarget(url, auth))
	})
}

// bareHandler is the baseline: read the body, answer 202.
func bareHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})
}

// BenchmarkWebhookSideBySide alternates bursts of 300 notifications between
// the bare handler and the provider's webhook, so both see the same machine
// load, and reports each one's rate and their ratio. This ratio is the one
// to quote: separate sub-benchmarks drift apart with the machine's load.
func BenchmarkWebhookSideBySide(b *testing.B) {
	bare := httptest.NewServer(bareHandler())
	defer bare.Close()
	url, auth, stop := startForBench(b)
	defer stop()
	// The same requests to both, Authorization header included.
	bareT, ringT := newTarget(bare.URL+"/api/calls", auth), newTarget(url, auth)
	defer bareT.client.CloseIdleConnections()
	defer ringT.client.CloseIdleConnections()
	bodies := benchBodies()
	var bareN, ringN atomic.Uint64
	// Warm both: connections, pools, caches.
	burst(b, bareT, &bodies, &bareN, 300)
	burst(b, ringT, &bodies, &ringN, 300)
	const round = 300
	var bareTime, ringTime time.Duration
	sent := 0
	b.ResetTimer()
	for sent < b.N {
		n := min(round, b.N-sent)
		bareTime += burst(b, bareT, &bodies, &bareN, n)
		ringTime += burst(b, ringT, &bodies, &ringN, n)
		sent += n
	}
	b.StopTimer()
	bareRate := float64(sent) / bareTime.Seconds()
	ringRate := float64(sent) / ringTime.Seconds()
	b.ReportMetric(bareRate, "bare-notifications/s")
	b.ReportMetric(ringRate, "ringside-notifications/s")
	b.ReportMetric(ringRate/bareRate, "ratio")
}

// startForBench runs the provider with token validation on against the fake
// platform keys, drains its events, and returns the webhook URL and a valid
// Authorization header.
func startForBench(b *testing.B) (url, auth string, stop func()) {
	srv := graphtest.Start(b, graphtest.Options{})
	p, err := New(Config{
		Listen: "127.0.0.1:0", CallbackPath: "/api/calls", ClientID: srv.Options.ClientID,
		OpenIDConfig: srv.OpenIDConfig,
	}, providers.Options{})
	if err != nil {
		b.Fatal(err)
	}
	events := make(chan providers.Event, 1024)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, events) }()
	var seen atomic.Int64
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			select {
			case <-events:
				seen.Add(1)
			case <-ctx.Done():
				return
			}
		}
	}()
	for p.Addr() == "" || !p.auth.Ready() {
		time.Sleep(time.Millisecond)
	}
	auth = "Bearer " + srv.Signer.MustSign(graphtest.Claims(srv.Options.ClientID, time.Now()))
	return "http://" + p.Addr() + "/api/calls", auth, func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
		<-drained
		if seen.Load() == 0 {
			b.Error("no events came out of the provider")
		}
	}
}
