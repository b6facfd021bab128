package bayeuxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// JSResult is what the official CometD JavaScript client achieved in
// RunCometDJS.
type JSResult struct {
	Messages int       `json:"messages"` // received in the counted rounds
	Seconds  float64   `json:"seconds"`  // their total time
	Rate     float64   `json:"rate"`     // Messages / Seconds
	Rounds   []float64 `json:"rounds"`   // seconds per counted round
}

// RunCometDJS runs testdata/server/bench.mjs: the official CometD JavaScript client
// (cometd + cometd-nodejs-client, long-polling) subscribes to channel on
// this server and times warmup+rounds bursts of count messages, each from
// the burst request until its last message arrived (the same measure a Go
// benchmark should use). Warm-up rounds are not counted.
func (s *Server) RunCometDJS(ctx context.Context, channel string, count, rounds, warmup int) (JSResult, error) {
	node, _, err := nodeTools()
	if err != nil {
		return JSResult{}, err
	}
	cmd := exec.CommandContext(ctx, node, "bench.mjs",
		"--url", s.url,
		"--control", s.control,
		"--count", strconv.Itoa(count),
		"--rounds", strconv.Itoa(rounds),
		"--warmup", strconv.Itoa(warmup),
		"--channel", channel)
	cmd.Dir = ServerDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return JSResult{}, fmt.Errorf("node bench.mjs: %w\n%s", err, strings.TrimSpace(stderr.String()))
	}
	var r JSResult
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &r); err != nil {
		return JSResult{}, fmt.Errorf("node bench.mjs printed %q: %w", stdout.String(), err)
	}
	if r.Rate <= 0 || r.Messages != count*rounds {
		return JSResult{}, fmt.Errorf("node bench.mjs reported %+v for %d rounds of %d", r, rounds, count)
	}
	return r, nil
}

// CompareBurst runs a benchmark of a Go consumer against the official
// CometD JavaScript client on this server, in one run: each iteration
// first has the JS client (in a fresh Node process, after one warm-up
// burst) receive a burst of count messages on jsChannel, then times one
// burst of count messages published on goChannel, from the burst request
// until receive, which must take the count messages in order, returns.
// One untimed Go burst comes first, as the JS client gets its warm-up.
// The two clients subscribe to channels of their own, so that neither
// spends time on the other's bursts.
//
// Reported: go-msg/s, js-msg/s, x-js (their ratio) and server-ms, the
// server's own publish loop per Go burst, which bounds both clients.
func (s *Server) CompareBurst(b *testing.B, goChannel, jsChannel string, count int, receive func(count int) error) {
	b.Helper()
	var loops time.Duration // the server's publish loops, timed Go bursts
	round := func() time.Duration {
		start := time.Now()
		type burst struct {
			loop time.Duration
			err  error
		}
		done := make(chan burst, 1)
		go func() {
			loop, err := s.Burst(goChannel, count)
			done <- burst{loop, err}
		}()
		err := receive(count)
		elapsed := time.Since(start)
		sent := <-done
		if err != nil {
			b.Fatalf("Go client: %v", err)
		}
		if sent.err != nil {
			b.Fatal(sent.err)
		}
		loops += sent.loop
		return elapsed
	}
	round() // warm-up, as the JS client gets
	loops = 0

	var goTime time.Duration
	var jsSeconds float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		js, err := s.RunCometDJS(ctx, jsChannel, count, 1, 1)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		jsSeconds += js.Seconds
		b.StartTimer()
		goTime += round()
	}
	b.StopTimer()
	goRate := float64(count*b.N) / goTime.Seconds()
	jsRate := float64(count*b.N) / jsSeconds
	b.ReportMetric(goRate, "go-msg/s")
	b.ReportMetric(jsRate, "js-msg/s")
	b.ReportMetric(goRate/jsRate, "x-js")
	b.ReportMetric(float64(loops.Milliseconds())/float64(b.N), "server-ms")
}
