// Command webhookload measures a Graph webhook from outside its process. It
// posts signed call notifications to a URL on loopback from -conns
// connections at once, as fast as the webhook answers, bounded by -calls and
// -timeout, and prints what it achieved as one JSON line (Report).
//
// Every call is new (its id is derived from its index, -first onwards) and
// lives through three notifications posted in order on one connection:
// Graph's documented incoming call (created), established (updated) and
// terminated with 200/5001 (deleted). A webhook that takes them all shows
// each call ringing, active and ended.
//
//	webhookload -url http://127.0.0.1:8443/api/calls -auth-file token.txt -calls 1000 -conns 8
//
// With -serve-bare ADDR it is instead the baseline a webhook is compared
// with: a bare net/http server that reads each body and answers 202. It
// prints its URL on the first line of stdout and serves until SIGINT or
// SIGTERM.
//
// It only ever talks to loopback; the token it sends comes from a file the
// caller wrote (for a local fake's key), never from anywhere else.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"ringside/providers/graph/graphtest"
	"ringside/providers/httpguard"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "webhookload:", err)
		os.Exit(1)
	}
}

// config is what one run does.
type config struct {
	url      string
	auth     string // the Authorization header's value; empty sends none
	calls    int
	first    uint64
	conns    int
	timeout  time.Duration
	bareAddr string
	profile  string // where to write a CPU profile of the run
}

func parse(args []string) (config, error) {
	fs := flag.NewFlagSet("webhookload", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c config
	var authFile string
	fs.StringVar(&c.url, "url", "", "the webhook to post to (loopback only), e.g. http://127.0.0.1:8443/api/calls")
	fs.StringVar(&authFile, "auth-file", "", "file holding the Authorization header's value (\"Bearer …\"); none sent when empty")
	fs.IntVar(&c.calls, "calls", 1000, "calls to post; each is three notifications")
	fs.Uint64Var(&c.first, "first", 0, "index of the first call: ids derive from it, so runs can post calls of their own")
	fs.IntVar(&c.conns, "conns", 8, "connections posting at once")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "the longest the run may take; calls not posted by then are not posted")
	fs.StringVar(&c.bareAddr, "serve-bare", "", "serve the bare baseline on this address (loopback) instead of posting")
	fs.StringVar(&c.profile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.bareAddr != "" {
		return c, loopbackOnly("-serve-bare", c.bareAddr)
	}
	if c.url == "" {
		return c, errors.New("-url is needed")
	}
	if err := loopbackOnly("-url", c.url); err != nil {
		return c, err
	}
	if c.calls < 1 || c.conns < 1 {
		return c, fmt.Errorf("-calls %d and -conns %d must be at least 1", c.calls, c.conns)
	}
	if c.timeout <= 0 {
		return c, fmt.Errorf("-timeout %s must be positive", c.timeout)
	}
	if authFile != "" {
		b, err := os.ReadFile(authFile)
		if err != nil {
			return c, fmt.Errorf("read -auth-file: %w", err)
		}
		c.auth = strings.TrimSpace(string(b))
	}
	return c, nil
}

func run(args []string, stdout io.Writer) error {
	c, err := parse(args)
	if err != nil {
		return err
	}
	if c.profile != "" {
		stopProfile, err := startProfile(c.profile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.bareAddr != "" {
		return serveBare(ctx, c.bareAddr, stdout)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	rep := post(ctx, c)
	if err := json.NewEncoder(stdout).Encode(rep); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if rep.Errors > 0 || rep.Accepted < int64(rep.Notifications) {
		return fmt.Errorf("%d of %d notifications accepted, %d errors (first: %s)",
			rep.Accepted, rep.Notifications, rep.Errors, rep.FirstError)
	}
	return nil
}

// startProfile records a CPU profile into path until the returned function
// is called.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "webhookload: cpu profile:", err)
		}
	}, nil
}

// Report is what a run achieved, printed as one JSON line.
type Report struct {
	Calls         int     `json:"calls"`
	Notifications int     `json:"notifications"` // calls × 3
	Accepted      int64   `json:"accepted"`      // answered 202
	Errors        int64   `json:"errors"`        // any other answer, or none
	FirstError    string  `json:"first_error,omitempty"`
	Start         int64   `json:"start_unix_nano"` // when the first request went
	End           int64   `json:"end_unix_nano"`   // when the last answer came
	Seconds       float64 `json:"seconds"`
	PerSecond     float64 `json:"per_second"` // accepted notifications per second
}

// placeholder is a call id of fixed width in the body templates, overwritten
// in place for every request, so a request costs the generator no encoding.
const placeholder = "00000000-0000-4000-8000-000000000000"

// lifeOfACall are the bodies of one call's three notifications.
func lifeOfACall() [3][]byte {
	return [3][]byte{
		graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), placeholder),
		graphtest.StateChange(placeholder, "updated", "established", nil),
		graphtest.StateChange(placeholder, "deleted", "terminated",
			&graphtest.ResultInfo{Code: 200, Subcode: 5001, Message: "The conversation has ended."}),
	}
}

// CallID is the id of call i: a GUID of the same shape as Graph's.
func CallID(i uint64) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(i>>48), i&0xffffffffffff)
}

// withID writes body into buf with every placeholder replaced by id.
func withID(buf, body []byte, id string) []byte {
	buf = append(buf[:0], body...)
	for off := 0; ; {
		at := bytes.Index(buf[off:], []byte(placeholder))
		if at < 0 {
			return buf
		}
		copy(buf[off+at:], id)
		off += at + len(placeholder)
	}
}

// post runs c.conns posters until every call is posted or ctx ends.
func post(ctx context.Context, c config) Report {
	life := lifeOfACall()
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: c.conns, MaxConnsPerHost: c.conns, DisableCompression: true,
	}}
	defer client.CloseIdleConnections()
	rep := Report{Calls: c.calls, Notifications: 3 * c.calls}
	var (
		next, accepted, failed atomic.Int64
		firstMu                sync.Mutex
	)
	fail := func(err error) {
		if failed.Add(1) == 1 {
			firstMu.Lock()
			rep.FirstError = err.Error()
			firstMu.Unlock()
		}
	}
	var wg sync.WaitGroup
	start := time.Now()
	for range c.conns {
		wg.Go(func() {
			buf := make([]byte, 0, 2048)
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(c.calls) {
					return
				}
				id := CallID(c.first + uint64(i))
				// A call's notifications go in order; after a failure the
				// rest of its life would make no sense, so the next call
				// starts instead.
				for _, body := range life {
					buf = withID(buf, body, id)
					if err := postOne(ctx, client, c, buf); err != nil {
						fail(fmt.Errorf("call %s: %w", id, err))
						break
					}
					accepted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	end := time.Now()
	rep.Accepted, rep.Errors = accepted.Load(), failed.Load()
	rep.Start, rep.End = start.UnixNano(), end.UnixNano()
	rep.Seconds = end.Sub(start).Seconds()
	if rep.Seconds > 0 {
		rep.PerSecond = float64(rep.Accepted) / rep.Seconds
	}
	return rep
}

// postOne posts body as the calling platform does and wants 202.
func postOne(ctx context.Context, client *http.Client, c config, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		why, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_, _ = io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(why)))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// bareHandler is the baseline: read the body, answer 202.
func bareHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})
}

// serveBare serves the baseline on addr, says where on stdout, and stops
// when ctx ends.
func serveBare(ctx context.Context, addr string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: bareHandler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if _, err := fmt.Fprintf(stdout, "http://%s/api/calls\n", ln.Addr()); err != nil {
		_ = srv.Close()
		return fmt.Errorf("say where the baseline listens: %w", err)
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("serve the baseline on %s: %w", ln.Addr(), err)
	}
	shut, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// loopbackOnly refuses any address that is not this machine: the generator
// must never post signed notifications, or serve, anywhere else.
func loopbackOnly(flagName, raw string) error {
	host := raw
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		return fmt.Errorf("%s %s: want host:port: %w", flagName, raw, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%s %s: bad port %q", flagName, raw, port)
	}
	if httpguard.IsLoopbackHost(h) {
		return nil
	}
	return fmt.Errorf("%s %s: only loopback addresses (127.0.0.1, ::1, localhost) are allowed", flagName, raw)
}
