package bayeuxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
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
