package providers

import (
	"io"
	"log/slog"
	"os"
	"time"
)

// DefaultAnswerWindow is how long a ringing call waits to be answered before
// it times out: 15 seconds on Microsoft Teams. Genesys has no fixed window, so
// the same default applies there unless configured.
const DefaultAnswerWindow = 15 * time.Second

// DefaultMaxCalls is how many live calls a provider holds unless told
// otherwise (--max-calls). A busy contact centre's queues hold a few hundred
// calls at once; ten thousand leaves room for that many times over while
// keeping a flood of invented ids to some megabytes.
const DefaultMaxCalls = 10000

// MaxCallsLimit is the largest --max-calls accepted.
const MaxCallsLimit = 1_000_000

// Options is what every provider gets from the program around it.
type Options struct {
	// Log receives structured logs; never the terminal the console draws on.
	Log *slog.Logger
	// AnswerWindow is the time a ringing call has to be answered.
	AnswerWindow time.Duration
	// Now is the clock; nil means time.Now. Providers call it from several
	// goroutines at once, so a clock of one's own must be safe for that.
	Now func() time.Time
	// Getenv reads secrets from the environment; nil means os.Getenv.
	Getenv func(string) string
	// MaxCalls is how many live calls a provider holds (--max-calls);
	// DefaultMaxCalls when <= 0. See package ledger.
	MaxCalls int
}

// WithDefaults returns o with every unset field filled in.
func (o Options) WithDefaults() Options {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.AnswerWindow <= 0 {
		o.AnswerWindow = DefaultAnswerWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.MaxCalls <= 0 {
		o.MaxCalls = DefaultMaxCalls
	}
	return o
}
