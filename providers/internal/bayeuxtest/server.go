// Package bayeuxtest starts and drives real Bayeux servers from npm for
// tests: cometd-nodejs-server (long-polling only, like GWS) and faye
// (long-polling and websocket). Each server runs in its own Node process on
// 127.0.0.1 with ports the system picks, is stopped by t.Cleanup, and is
// steered through a control endpoint:
//
//	srv := bayeuxtest.Start(t, bayeuxtest.CometD, bayeuxtest.Options{})
//	client := ... connect to srv.URL() ...
//	srv.Publish("/v2/me/calls", callStateChangeJSON) // as the server's application would
//	srv.ForgetSessions()                            // the server loses every session
//	srv.Restart(500 * time.Millisecond)             // down for half a second, same port
//
// The Node server lives in the server directory beside this file. When its
// node_modules is missing (a fresh clone), Start runs `npm ci` there first,
// serialised with a file lock so parallel test binaries install once. Node.js
// and npm must be on PATH; without them Start fails the test with a message
// saying so (it never skips).
package bayeuxtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kind names one of the Bayeux servers.
type Kind string

const (
	// CometD is cometd-nodejs-server, by the CometD project: long-polling
	// only, sessions bound to the BAYEUX_BROWSER cookie, queued messages
	// ride on every reply. The closest to GWS of the two.
	CometD Kind = "cometd-nodejs-server"
	// Faye is faye: long-polling and websocket on the same URL, no cookies,
	// deliveries carry the publisher's message ids.
	Faye Kind = "faye"
)

// Kinds lists every server kind, for tests that run against each.
var Kinds = []Kind{CometD, Faye}

// DefaultMount is where the Bayeux endpoint is served, as on GWS.
const DefaultMount = "/api/v2/notifications"

// Options tune a server; the zero value gives CometD's defaults.
type Options struct {
	// Timeout is how long the server holds a /meta/connect when it has
	// nothing to deliver (the advice.timeout it announces). Default 30 s.
	// faye counts whole seconds, so it is rounded up to one.
	Timeout time.Duration
	// Interval is the advice.interval the server announces: how long a
	// client should wait between connects. Default 0.
	Interval time.Duration
	// MaxInterval is how long cometd-nodejs-server keeps a session whose
	// client sends no /meta/connect. Default 10 s. faye ignores it (it
	// keeps sessions for two Timeouts).
	MaxInterval time.Duration
	// Mount is the path of the Bayeux endpoint. Default DefaultMount.
	Mount string
}

// Server is one running Bayeux server.
type Server struct {
	kind    Kind
	url     string
	control string
	http    *http.Client

	proxyTr *http.Transport // the Proxy's connections to the server

	cmd      *exec.Cmd
	stdin    io.WriteCloser
	stderr   *tailBuffer
	exited   chan struct{} // closed once the process has ended
	exitErr  error         // how it ended; read after exited is closed
	stopOnce sync.Once
}

// startTimeout bounds how long a server may take to start listening.
const startTimeout = 30 * time.Second

// controlTimeout bounds one control request; a 20,000-message burst under
// the race detector on a busy machine stays well within it.
const controlTimeout = 60 * time.Second

// Start installs the Node server if needed, starts one of the given kind and
// registers its stop with t.Cleanup. It fails t if anything goes wrong.
func Start(t testing.TB, kind Kind, opts Options) *Server {
	t.Helper()
	s, err := Run(kind, opts)
	if err != nil {
		t.Fatalf("bayeuxtest: start %s: %v", kind, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("bayeuxtest: %v", err)
		}
	})
	return s
}

// Run installs the Node server if needed and starts one of the given kind,
// for programs (a fake server for manual end-to-end runs); the caller must
// Stop it. Tests use Start, which stops it for them.
func Run(kind Kind, opts Options) (*Server, error) {
	if kind != CometD && kind != Faye {
		return nil, fmt.Errorf("unknown server kind %q (want %q or %q)", kind, CometD, Faye)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxInterval == 0 {
		opts.MaxInterval = 10 * time.Second
	}
	if opts.Mount == "" {
		opts.Mount = DefaultMount
	}
	if opts.Timeout < 0 || opts.Interval < 0 || opts.MaxInterval < 0 {
		return nil, errors.New("Timeout, Interval and MaxInterval must not be negative")
	}
	if !strings.HasPrefix(opts.Mount, "/") {
		return nil, fmt.Errorf("Mount %q must start with /", opts.Mount)
	}
	if kind == Faye {
		opts.Timeout = opts.Timeout.Round(time.Second)
		if opts.Timeout < time.Second {
			opts.Timeout = time.Second
		}
	}
	if err := ensureInstalled(); err != nil {
		return nil, err
	}
	node, _, err := nodeTools()
	if err != nil {
		return nil, err
	}

	cmd := exec.Command(node, "server.js",
		"--kind", string(kind),
		"--timeout-ms", strconv.FormatInt(opts.Timeout.Milliseconds(), 10),
		"--interval-ms", strconv.FormatInt(opts.Interval.Milliseconds(), 10),
		"--max-interval-ms", strconv.FormatInt(opts.MaxInterval.Milliseconds(), 10),
		"--mount", opts.Mount)
	cmd.Dir = ServerDir()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{
		kind:   kind,
		cmd:    cmd,
		stdin:  stdin,
		stderr: &tailBuffer{max: 64 << 10},
		exited: make(chan struct{}),
		// No keep-alive: no idle connection (and its goroutines) outlives
		// a control request, so leak checks in tests see none of ours.
		http: &http.Client{
			Timeout:   controlTimeout,
			Transport: &http.Transport{DisableKeepAlives: true},
		},
		proxyTr: &http.Transport{},
	}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run node server.js: %w", err)
	}
	go func() {
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()

	type ready struct {
		Bayeux  int `json:"bayeux"`
		Control int `json:"control"`
	}
	readyc := make(chan ready, 1)
	errc := make(chan error, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, err := r.ReadBytes('\n')
		if err != nil {
			errc <- fmt.Errorf("server ended before it was ready: %w", err)
			return
		}
		var rd ready
		if err := json.Unmarshal(line, &rd); err != nil || rd.Bayeux == 0 || rd.Control == 0 {
			errc <- fmt.Errorf("server announced %q, not its ports", bytes.TrimSpace(line))
			return
		}
		readyc <- rd
		io.Copy(io.Discard, r) // nothing more is expected; never block the server
	}()
	select {
	case rd := <-readyc:
		s.url = "http://127.0.0.1:" + strconv.Itoa(rd.Bayeux) + strings.TrimRight(opts.Mount, "/")
		s.control = "http://127.0.0.1:" + strconv.Itoa(rd.Control)
		return s, nil
	case err := <-errc:
		s.kill()
		return nil, fmt.Errorf("%w\n%s", err, s.stderr.String())
	case <-time.After(startTimeout):
		s.kill()
		return nil, fmt.Errorf("server not ready after %s\n%s", startTimeout, s.stderr.String())
	}
}

// Kind says which server this is.
func (s *Server) Kind() Kind { return s.kind }

// URL is the Bayeux endpoint, e.g. http://127.0.0.1:40123/api/v2/notifications.
// It stays the same across Restart.
func (s *Server) URL() string { return s.url }

// Proxy forwards requests, websocket upgrades included, to the Bayeux
// server, so that a fake REST server can serve the notifications path on
// its own host as GWS does (one base URL, one cookie jar):
//
//	mux.Handle(bayeuxtest.DefaultMount, srv.Proxy())
//
// The path is passed on as is, so mount it where the server is mounted.
func (s *Server) Proxy() http.Handler {
	u, _ := url.Parse(s.url)
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	rp.Transport = s.proxyTr
	rp.FlushInterval = -1 // hand on what arrives at once
	return rp
}

// ControlURL is the base URL of the control endpoint (see testdata/server/server.js).
func (s *Server) ControlURL() string { return s.control }

// Publish publishes each value on channel, in order, the way an application
// inside the server would; it returns once the server has queued them for
// its subscribers. A value may be json.RawMessage or []byte (sent as is, and
// it must be JSON) or anything encoding/json marshals. On faye the messages
// go through faye's own in-process client, so deliveries carry its message
// ids, which collide with the clients' ids.
func (s *Server) Publish(channel string, data ...any) error {
	raw := make([]json.RawMessage, len(data))
	for i, d := range data {
		switch v := d.(type) {
		case json.RawMessage:
			raw[i] = v
		case []byte:
			raw[i] = v
		default:
			b, err := json.Marshal(d)
			if err != nil {
				return fmt.Errorf("publish to %s: message %d: %w", channel, i, err)
			}
			raw[i] = b
		}
		if !json.Valid(raw[i]) {
			return fmt.Errorf("publish to %s: message %d is not JSON", channel, i)
		}
	}
	var out struct {
		Published int `json:"published"`
	}
	if err := s.call(http.MethodPost, "/publish", map[string]any{"channel": channel, "data": raw}, &out); err != nil {
		return fmt.Errorf("publish to %s: %w", channel, err)
	}
	if out.Published != len(data) {
		return fmt.Errorf("publish to %s: server published %d of %d messages", channel, out.Published, len(data))
	}
	return nil
}

// BurstMessageSize is about how many bytes one Burst message weighs on the
// wire, envelope included.
const BurstMessageSize = 590

// Burst publishes count generated CallStateChangeMessages on channel in one
// tight loop inside the server, as fast as it can. Each message's data has a
// "seq" field counting from 0, and a call whose id ends in that number. It
// returns once the loop has ended, with how long the loop took.
func (s *Server) Burst(channel string, count int) (time.Duration, error) {
	var out struct {
		Published int     `json:"published"`
		MS        float64 `json:"ms"`
	}
	if err := s.call(http.MethodPost, "/burst", map[string]any{"channel": channel, "count": count}, &out); err != nil {
		return 0, fmt.Errorf("burst of %d to %s: %w", count, channel, err)
	}
	return time.Duration(out.MS * float64(time.Millisecond)), nil
}

// ForgetSessions makes the server drop every session without telling its
// client, as if it had expired them; a held /meta/connect is answered at
// once, and the client's next request finds its session unknown
// (cometd-nodejs-server: 402::session_unknown, faye: 401::Unknown client).
// It returns how many sessions were forgotten.
func (s *Server) ForgetSessions() (int, error) {
	var out struct {
		Forgotten int `json:"forgotten"`
	}
	if err := s.call(http.MethodPost, "/forget", nil, &out); err != nil {
		return 0, fmt.Errorf("forget sessions: %w", err)
	}
	return out.Forgotten, nil
}

// DropConnections cuts every TCP connection to the Bayeux endpoint, held
// connects and websockets included; sessions survive. It first waits (up to
// 5 s) until a request is held or a websocket open, because a cut that
// finds only idle keep-alive connections is rightly invisible to a client.
// It returns how many connections were cut.
func (s *Server) DropConnections() (int, error) {
	var out struct {
		Dropped int `json:"dropped"`
	}
	if err := s.call(http.MethodPost, "/drop", nil, &out); err != nil {
		return 0, fmt.Errorf("drop connections: %w", err)
	}
	return out.Dropped, nil
}

// Restart stops the Bayeux endpoint (every connection is cut, every session
// and subscription forgotten), keeps it down for the given time (connections
// are refused meanwhile), then serves again on the same port with a fresh
// server, as after a crash and restart. A refusal set with Refuse survives.
func (s *Server) Restart(down time.Duration) error {
	if err := s.call(http.MethodPost, "/restart", map[string]any{"downMs": down.Milliseconds()}, nil); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return nil
}

// Refuse makes every later handshake and connect reply fail with the given
// error (e.g. "403::go_away") and advice reconnect (none, handshake or
// retry), until StopRefusing.
func (s *Server) Refuse(reconnect, errorText string) error {
	if err := s.call(http.MethodPost, "/refuse", map[string]any{"reconnect": reconnect, "error": errorText}, nil); err != nil {
		return fmt.Errorf("refuse with %s: %w", reconnect, err)
	}
	return nil
}

// StopRefusing ends what Refuse started.
func (s *Server) StopRefusing() error {
	if err := s.call(http.MethodPost, "/refuse", nil, nil); err != nil {
		return fmt.Errorf("stop refusing: %w", err)
	}
	return nil
}

// DenySubscriptions makes the server refuse every later subscription to
// channel with 403::subscription_denied; an empty channel stops that.
func (s *Server) DenySubscriptions(channel string) error {
	var in any
	if channel != "" {
		in = map[string]string{"channel": channel}
	}
	if err := s.call(http.MethodPost, "/deny", in, nil); err != nil {
		return fmt.Errorf("deny subscriptions to %q: %w", channel, err)
	}
	return nil
}

// Advise makes the server overwrite these fields of the advice of every
// later handshake and connect reply, as a broken or hostile server would:
// values of any JSON type, e.g. {"interval": "soon"} or {"timeout": 1e300}.
// Nil stops that.
func (s *Server) Advise(fields map[string]any) error {
	var in any
	if fields != nil {
		in = map[string]any{"advice": fields}
	}
	if err := s.call(http.MethodPost, "/advise", in, nil); err != nil {
		return fmt.Errorf("advise %v: %w", fields, err)
	}
	return nil
}

// IgnoreAskedTimeout, when on, makes the server ignore the timeout a
// client asks for in its /meta/connect advice and hold every later
// connect for its own Options.Timeout; off restores the servers' own
// behaviour (both honour the client's timeout).
func (s *Server) IgnoreAskedTimeout(on bool) error {
	if err := s.call(http.MethodPost, "/stubborn", map[string]bool{"on": on}, nil); err != nil {
		return fmt.Errorf("ignore asked timeout %v: %w", on, err)
	}
	return nil
}

// Stats is what the server has seen. The counts of meta messages cover
// every request that reached it, since it started (restarts included).
type Stats struct {
	Kind         Kind           `json:"kind"`
	Sessions     int            `json:"sessions"`    // live sessions now
	Subscribers  map[string]int `json:"subscribers"` // sessions subscribed, per channel (patterns as given)
	Connections  int            `json:"connections"` // open TCP connections now
	Handshakes   int            `json:"handshakes"`
	Connects     int            `json:"connects"`
	Subscribes   int            `json:"subscribes"`
	Unsubscribes int            `json:"unsubscribes"`
	Disconnects  int            `json:"disconnects"`
	Publishes    int            `json:"publishes"` // messages clients published
	Restarts     int            `json:"restarts"`
}

// Stats reads the server's counters.
func (s *Server) Stats() (Stats, error) {
	var st Stats
	if err := s.call(http.MethodGet, "/stats", nil, &st); err != nil {
		return Stats{}, fmt.Errorf("read stats: %w", err)
	}
	return st, nil
}

// WaitStats polls Stats until cond holds, ctx ends (then it returns the last
// Stats and ctx's error) or the server fails.
func (s *Server) WaitStats(ctx context.Context, cond func(Stats) bool) (Stats, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := s.Stats()
		if err != nil {
			return st, err
		}
		if cond(st) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("server stats still %+v: %w", st, ctx.Err())
		case <-tick.C:
		}
	}
}

// Log is what the server wrote to its standard error (the last 64 KiB).
func (s *Server) Log() string { return s.stderr.String() }

// Stop ends the server: it closes its standard input (the server exits on
// that), and kills the process by its PID if it is still there after two
// seconds. It reports a server that had died on its own. Calling it again
// does nothing.
func (s *Server) Stop() error {
	var err error
	s.stopOnce.Do(func() {
		select {
		case <-s.exited:
			err = fmt.Errorf("%s server ended by itself before the test stopped it (%v)\n%s", s.kind, s.exitErr, s.stderr.String())
			return
		default:
		}
		s.stdin.Close()
		select {
		case <-s.exited:
		case <-time.After(2 * time.Second):
			s.kill()
		}
	})
	s.proxyTr.CloseIdleConnections()
	return err
}

// kill ends the process by its PID and waits for it.
func (s *Server) kill() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
	}
	s.stdin.Close()
	<-s.exited
}

// call sends one control request and decodes its JSON answer into out.
func (s *Server) call(method, path string, in, out any) error {
	select {
	case <-s.exited:
		return fmt.Errorf("the %s server is not running (%v)\n%s", s.kind, s.exitErr, s.stderr.String())
	default:
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.control+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("control answered HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("control answer %q: %w", b, err)
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
