// Command fakegws serves a fake Genesys Web Services on loopback, with a real
// Bayeux server (from npm, through bayeuxtest) behind its
// /api/v2/notifications, so the console's genesys provider can be tried end
// to end without a contact centre:
//
//	go run ./providers/genesys/gwstest/cmd/fakegws -listen 127.0.0.1:8090
//	RINGSIDE_GENESYS_PASSWORD=demo ringside --provider genesys \
//	    --genesys-url http://127.0.0.1:8090 --genesys-user agent
//
// Calls are made to ring, end, fail and so on through plain HTTP on the same
// port, under /fake/ (see usage below or GET /fake/help). Node.js and npm
// must be installed (the Bayeux server's packages are installed on first
// use).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"ringside/providers/genesys/gwstest"
	"ringside/providers/httpguard"
	"ringside/providers/internal/bayeuxtest"
)

const usage = `fake GWS control (POST unless noted; answers JSON):
  /fake/ring?from=+14255550100&queue=9000   a queue call rings (Answer, Reject)
  /fake/ring?from=5005&direct=1             a direct internal call rings (Answer only)
  /fake/ring?...&quiet=1                    ... without a notification (lost)
  /fake/ring?...&noanswer=20[&action=notready]  ... with the switch's ring timeout (extensions)
  /fake/ring?...&name=Ana%20Ribeiro         ... with the caller's name attached as Workspace
                                            does (userData WWE_PARTY_<from>)
  /fake/release?id=ID[&quiet=1]             the far end hangs up
  /fake/answer?id=ID                        the call is answered elsewhere (Established)
  /fake/agent?state=Ready|NotReady[&name=Lunch][&dnd=1]
  /fake/fail-next?op=Answer&code=2[&message=...]   the next op gets that statusCode
  /fake/error?on=device|call[&id=ID]&code=41&message=...   GWS reports an error (ErrorMessage)
  /fake/mode?op=Answer&mode=normal|ignored|silent  ignored: accepted, nothing happens;
                                            silent: happens without a notification
  /fake/rotate-csrf                         the CSRF token changes (next POST gets 403)
  /fake/restart-cometd?down=2s              the Bayeux server restarts (sessions lost)
  /fake/forget-sessions                     the Bayeux server forgets every session
  GET /fake/calls                           the calls as GWS lists them
  GET /fake/transfers                       the SingleStepTransfers accepted (call, destination)

The console's own operations are carried out as GWS would: Hold → Held, Retrieve →
Established, SingleStepTransfer → Released (no capabilities), and the agent states
Ready, NotReady, AfterCallWork and the configured OutToLunch, Meeting, Training
(GET /api/v2/settings/agent-states) → a DeviceStateChangeMessage on /v2/me/devices.
`

func main() {
	var o options
	flag.StringVar(&o.listen, "listen", "127.0.0.1:8090", "address to serve the fake GWS on (loopback only)")
	flag.StringVar(&o.user, "user", "agent", "the GWS user name to accept")
	kind := flag.String("bayeux", string(bayeuxtest.CometD), "Bayeux server: cometd-nodejs-server or faye")
	flag.BoolVar(&o.noCSRF, "no-csrf", false, "turn CSRF protection off")
	flag.BoolVar(&o.seed, "seed", true, "start with two calls: one ringing from a queue, one active")
	flag.DurationVar(&o.ringEvery, "ring-every", 0, "ring a new queue call this often (0: never)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: fakegws [flags]\n\nThe password is RINGSIDE_GENESYS_PASSWORD, or \"demo\" when unset.\n\n")
		flag.PrintDefaults()
		fmt.Fprint(flag.CommandLine.Output(), "\n"+usage)
	}
	flag.Parse()
	o.kind = bayeuxtest.Kind(*kind)
	o.password = os.Getenv("RINGSIDE_GENESYS_PASSWORD")
	if o.password == "" {
		o.password = "demo"
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, o, os.Stdout, nil); err != nil {
		log.Fatalf("fakegws: %v", err)
	}
}

// options are the command line.
type options struct {
	listen, user, password string
	kind                   bayeuxtest.Kind
	noCSRF, seed           bool
	ringEvery              time.Duration
}

// serve runs the fake GWS and its Bayeux server until ctx ends; ready, if
// set, gets the base URL once it serves.
func serve(ctx context.Context, o options, out io.Writer, ready func(base string)) error {
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", o.listen, err)
	}
	if !httpguard.IsLoopbackHost(host) {
		return fmt.Errorf("-listen %q: the fake GWS serves loopback only", o.listen)
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	defer l.Close()

	bx, err := bayeuxtest.Run(o.kind, bayeuxtest.Options{})
	if err != nil {
		return err
	}
	defer func() {
		if err := bx.Stop(); err != nil {
			log.Printf("fakegws: %v", err)
		}
	}()
	gws := gwstest.New(gwstest.Options{
		User: o.user, Password: o.password, FirstName: "Demo", LastName: "Agent",
		NoCSRF: o.noCSRF, Notifications: bx.Proxy(),
		Publish: func(channel string, data []byte) error { return bx.Publish(channel, json.RawMessage(data)) },
	})
	base := "http://" + l.Addr().String()
	gws.SetBaseURL(base)
	if o.seed {
		gws.Put(gwstest.QueueCall("", "+14255550100", "9000"))
		gws.Put(gwstest.ActiveCall("", "+442071838750"))
	}

	mux := http.NewServeMux()
	mux.Handle("/fake/", &control{gws: gws, bayeux: bx})
	mux.Handle("/", gws)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	fmt.Fprintf(out, "fake GWS on %s (user %q, password from RINGSIDE_GENESYS_PASSWORD or \"demo\"); CometD (%s) at %s/api/v2/notifications\n",
		base, o.user, o.kind, base)
	fmt.Fprintf(out, "try:\n  RINGSIDE_GENESYS_PASSWORD=%s ringside --provider genesys --genesys-url %s --genesys-user %s\n", shellQuote(o.password), base, o.user)
	fmt.Fprintf(out, "  curl -X POST '%s/fake/ring?from=%%2B14255550100&queue=9000'\n\n%s", base, usage)
	if ready != nil {
		ready(base)
	}

	var ticker <-chan time.Time
	if o.ringEvery > 0 {
		t := time.NewTicker(o.ringEvery)
		defer t.Stop()
		ticker = t.C
	}
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
			// Shutdown waits for held long polls; close what is still open.
			srv.Close()
			<-served
			return nil
		case err := <-served:
			return err
		case <-ticker:
			if _, err := gws.Ring(gwstest.QueueCall("", randomCaller(), "9000")); err != nil {
				log.Printf("ring: %v", err)
			}
		}
	}
}

// control serves /fake/.
type control struct {
	gws    *gwstest.Server
	bayeux *bayeuxtest.Server
}

func (c *control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	reply := func(v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		json.NewEncoder(w).Encode(v)
	}
	op := strings.TrimPrefix(r.URL.Path, "/fake/")
	if r.Method == http.MethodGet {
		switch op {
		case "calls":
			reply(c.gws.Calls(), nil)
		case "transfers":
			reply(c.gws.Transfers(), nil)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprint(w, usage)
		}
		return
	}
	if r.Method != http.MethodPost {
		reply(nil, errors.New("use POST (GET only for /fake/calls, /fake/transfers and /fake/help)"))
		return
	}
	quiet := q.Get("quiet") != ""
	switch op {
	case "ring":
		from := q.Get("from")
		if from == "" {
			from = randomCaller()
		}
		call := gwstest.QueueCall(q.Get("id"), from, or(q.Get("queue"), "9000"))
		if q.Get("direct") != "" {
			call = gwstest.DirectCall(q.Get("id"), from)
		}
		if secs := q.Get("noanswer"); secs != "" {
			call.Extensions = map[string]any{"NO_ANSWER_TIMEOUT": secs, "NO_ANSWER_ACTION": or(q.Get("action"), "notready")}
		}
		if name := q.Get("name"); name != "" {
			first, last, _ := strings.Cut(name, " ")
			call.UserData = map[string]any{"WWE_PARTY_" + from: map[string]any{"firstname": first, "lastname": last}}
		}
		if quiet {
			reply(c.gws.Put(call), nil)
			return
		}
		reply(c.gws.Ring(call))
	case "release":
		reply(map[string]string{"released": q.Get("id")}, c.gws.Release(q.Get("id"), !quiet))
	case "answer":
		reply(map[string]string{"answered": q.Get("id")}, c.gws.Change(q.Get("id"), func(call *gwstest.Call) {
			call.State, call.Capabilities = "Established", gwstest.EstablishedCapabilities
		}, !quiet, ""))
	case "agent":
		reply(map[string]string{"state": q.Get("state")}, c.gws.SetAgentState(or(q.Get("state"), "Ready"), or(q.Get("name"), words(q.Get("state"))), q.Get("dnd") != ""))
	case "fail-next":
		code, err := strconv.Atoi(q.Get("code"))
		if err != nil || q.Get("op") == "" {
			reply(nil, errors.New("give op=Answer|Reject|Hangup and a numeric code"))
			return
		}
		c.gws.FailNext(q.Get("op"), code, or(q.Get("message"), "refused by the fake GWS"))
		reply(map[string]any{"op": q.Get("op"), "code": code}, nil)
	case "error":
		code, _ := strconv.Atoi(q.Get("code"))
		report := gwstest.ErrorReport{Code: code, Message: q.Get("message")}
		channel := gwstest.ChannelDevices
		switch q.Get("on") {
		case "device", "":
			report.Device = true
		case "call":
			channel, report.CallID = gwstest.ChannelCalls, q.Get("id")
		default:
			reply(nil, errors.New("give on=device or on=call (with id=ID)"))
			return
		}
		reply(report, c.gws.PublishError(channel, report))
	case "mode":
		modes := map[string]gwstest.OpMode{"normal": gwstest.OpNormal, "ignored": gwstest.OpIgnored, "silent": gwstest.OpSilent}
		mode, ok := modes[q.Get("mode")]
		if !ok || q.Get("op") == "" {
			reply(nil, errors.New("give op=Answer|Reject|Hangup and mode=normal|ignored|silent"))
			return
		}
		c.gws.SetMode(q.Get("op"), mode)
		reply(map[string]string{"op": q.Get("op"), "mode": q.Get("mode")}, nil)
	case "rotate-csrf":
		c.gws.RotateCSRF()
		reply(map[string]bool{"rotated": true}, nil)
	case "restart-cometd":
		down, err := time.ParseDuration(or(q.Get("down"), "2s"))
		if err != nil {
			reply(nil, fmt.Errorf("down: %w", err))
			return
		}
		reply(map[string]string{"restarted": down.String()}, c.bayeux.Restart(down))
	case "forget-sessions":
		n, err := c.bayeux.ForgetSessions()
		reply(map[string]int{"forgotten": n}, err)
	default:
		reply(nil, fmt.Errorf("unknown control %q; GET /fake/help", op))
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// words turns NotReady into "Not Ready" for the display name.
func words(state string) string {
	if state == "NotReady" {
		return "Not Ready"
	}
	return state
}

var callers = []string{"+14255550100", "+442071838750", "+33155550123", "+4930901820", "+61290000000", "5005", "5125"}

var callerMu sync.Mutex
var callerNext int

func randomCaller() string {
	callerMu.Lock()
	defer callerMu.Unlock()
	callerNext = (callerNext + 1) % len(callers)
	return callers[callerNext]
}

func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
