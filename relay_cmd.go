package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ringside/providers"
	"ringside/providers/natsboard/natsconn"
	"ringside/providers/natsboard/relay"
)

// relayCmd is `ringside relay`: the provider runs headless and its board is
// published to NATS, for consoles on other machines (--provider nats).
type relayCmd struct {
	History       time.Duration `default:"24h" placeholder:"DURATION" help:"How long an ended call stays on the board (at least 1s)."`
	HistoryMax    int           `default:"5000" placeholder:"N" help:"Most ended calls the board keeps; beyond it the oldest is purged."`
	NATSReplicas  int           `name:"nats-replicas" default:"1" placeholder:"N" help:"Replicas of the board's bucket: 1, or 3 on a NATS cluster."`
	ActionTimeout time.Duration `default:"15s" placeholder:"DURATION" help:"How long an action sent by a console may take; a console that waits less is obeyed."`
	NATSWait      time.Duration `name:"nats-wait" default:"30s" placeholder:"DURATION" help:"How long NATS may be unreachable at start before the relay gives up."`

	Embedded natsconn.EmbeddedConfig `embed:"" group:"NATS"`
}

// check refuses what the relay's own check would read as "the default".
func (rc relayCmd) check() error {
	var errs []error
	if rc.HistoryMax < 1 {
		errs = append(errs, fmt.Errorf("--history-max %d: want 1 to %d ended calls", rc.HistoryMax, relay.MaxHistoryMax))
	}
	if rc.NATSReplicas < 1 {
		errs = append(errs, fmt.Errorf("--nats-replicas %d: want 1 to %d", rc.NATSReplicas, relay.MaxReplicas))
	}
	if rc.ActionTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--action-timeout %s: want a positive duration", rc.ActionTimeout))
	}
	if rc.NATSWait <= 0 {
		errs = append(errs, fmt.Errorf("--nats-wait %s: want a positive duration", rc.NATSWait))
	}
	if rc.History <= 0 {
		errs = append(errs, fmt.Errorf("--history %s: at least %s", rc.History, relay.MinHistory))
	}
	return errors.Join(errs...)
}

// runRelay publishes p's board until SIGINT or SIGTERM. It exits 2 for a
// wrong command line, 1 when the board cannot be published or is lost.
func runRelay(e env, c *cli, p providers.Provider, log *slog.Logger) int {
	rc := c.Relay
	// The relay, the NATS handlers and this function all write to stderr.
	e.stderr = &lockedWriter{w: e.stderr}
	if c.Provider == "nats" {
		fmt.Fprintf(e.stderr, "ringside relay: --provider %s: a relay runs demo, graph or genesys\n", c.Provider)
		return exitUsage
	}
	if len(c.NATS.Boards) != 1 {
		fmt.Fprintf(e.stderr, "ringside relay: give exactly one --board (the board to publish; one relay per board), not %d\n", len(c.NATS.Boards))
		return exitUsage
	}
	board := c.NATS.Boards[0]
	say := sayer(e.stderr)
	cfg := relay.Config{
		Board: board, History: rc.History, HistoryMax: rc.HistoryMax, Replicas: rc.NATSReplicas,
		ActionTimeout: rc.ActionTimeout, MaxCalls: c.MaxCalls, StartTimeout: rc.NATSWait, StopGrace: e.stopGrace,
		Log: log, Say: say,
	}
	if err := errors.Join(rc.check(), cfg.Check()); err != nil {
		fmt.Fprintf(e.stderr, "ringside relay: %v\n", err)
		return exitUsage
	}

	url := c.NATS.NATS.URL
	if strings.TrimSpace(url) == "" {
		emb, err := natsconn.StartEmbedded(rc.Embedded, e.getenv, log)
		if err != nil {
			fmt.Fprintf(e.stderr, "ringside relay: %v\n", err)
			return exitFailed
		}
		defer emb.Shutdown()
		say(fmt.Sprintf("embedded NATS server listening on %s; store %s", emb.URL, emb.Store))
		url = emb.URL
	}
	var closing atomic.Bool
	nc, err := c.NATS.NATS.Connect(url, "ringside relay "+board, e.getenv, log, natsconn.Handlers{
		Disconnected: func(err error) {
			if !closing.Load() {
				say(fmt.Sprintf("NATS connection lost (%v); reconnecting", err))
			}
		},
		Reconnected: func() { say("NATS connection back") },
		Error:       func(err error) { log.Warn("nats", "err", err) },
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "ringside relay: %v\n", err)
		return exitUsage
	}
	defer func() { closing.Store(true); nc.Close() }()

	r, err := relay.New(p, nc, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "ringside relay: %v\n", err)
		return exitUsage
	}
	ctx, stop := e.signals(context.Background())
	defer stop()
	if err := r.Run(ctx); err != nil {
		if errors.Is(err, relay.ErrUnreachable) {
			err = fmt.Errorf("%w (--nats-wait sets how long to wait)", err)
		}
		log.Error("relay stopped", "err", err)
		fmt.Fprintf(e.stderr, "ringside relay: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// sayer writes one line per notable event to w (stderr, already cleaned
// by textsafe.NewWriter), with the time.
func sayer(w io.Writer) func(string) {
	return func(line string) {
		fmt.Fprintf(w, "%s ringside relay: %s\n", time.Now().Format("15:04:05"), line)
	}
}

// lockedWriter lets several goroutines write whole lines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
