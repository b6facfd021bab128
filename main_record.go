package main

import (
	"fmt"

	"ringside/providers"
	"ringside/providers/record"
	"ringside/providers/replay"
)

// prepareReplay applies what --provider replay means for the command: a
// replay plays in the console, the JSON stream or a relay, never for a
// one-shot command (its calls exist only while it plays), and the console is
// read-only unless actions are simulated (--replay-act). It reports whether
// the command may go on; when not, stderr says why.
func prepareReplay(e env, command string, cc *consoleCmd, p providers.Provider) bool {
	rp, ok := p.(*replay.Provider)
	if !ok {
		return true
	}
	if command != "console" && command != "relay" {
		fmt.Fprintln(e.stderr, "ringside: a replay's calls exist only while it plays, in the console, --json or a relay; one-shot commands need --provider graph, genesys or nats")
		return false
	}
	cc.ReadOnly = cc.ReadOnly || rp.ReadOnly()
	return true
}

// startRecording wraps p to record into --record FILE, when given, and
// returns the provider to use and what to call once it has stopped (the
// recording is then flushed, and stderr says if lines were lost). It
// reports false, with the words on stderr, when the recording cannot start.
func startRecording(e env, rc record.Config, p providers.Provider, opts providers.Options) (providers.Provider, func(), bool) {
	if err := rc.Check(); err != nil {
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return nil, nil, false
	}
	if rc.File == "" {
		return p, func() {}, true
	}
	wrapped, w, err := record.Start(rc, p, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return nil, nil, false
	}
	return wrapped, func() {
		if err := w.Close(); err != nil {
			fmt.Fprintf(e.stderr, "ringside: %v\n", err)
			opts.Log.Error("recording", "err", err)
		}
	}, true
}
