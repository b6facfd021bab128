package stats

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Defaults, as the flags give them.
const (
	DefaultWindow    = time.Hour        // --stats-window
	DefaultThreshold = 20 * time.Second // --service-level
	DefaultTarget    = 0.80             // --service-level-target
	// DefaultGrace is how soon after arriving a caller who hangs up is
	// taken to have misdialled (a short abandon, left out of the service
	// level). Five seconds is the usual contact-centre convention: too soon
	// for anyone to have answered.
	DefaultGrace = 5 * time.Second
	// DefaultMaxCalls is how many calls a Counter remembers at most. A busy
	// contact centre takes some thousands of calls an hour; this leaves
	// room for that many times over at about 20 MB at most.
	DefaultMaxCalls = 100_000
)

// Bounds of the configuration.
const (
	// Bucket is the width of one bucket of the window.
	Bucket = time.Minute
	// MaxWindow bounds the window: a day of minutes per queue.
	MaxWindow = 24 * time.Hour
	// MaxQueues is how many queue names a Counter keeps; the calls of any
	// further queue count under Overflow.
	MaxQueues = 1000
	// maxQueueName bounds a queue's name (in characters); longer names are
	// cut, so a name sent from outside cannot hold much memory.
	maxQueueName = 128
)

// Names of the queues that are not named by a call.
const (
	Direct   = "direct"   // calls that came through no queue
	Overflow = "(others)" // calls of the queues beyond MaxQueues
)

// Config is what the figures are over.
type Config struct {
	Window    time.Duration // the sliding window, whole minutes (--stats-window); DefaultWindow when 0
	Threshold time.Duration // answered within it counts for the service level (--service-level); DefaultThreshold when 0
	Target    float64       // the service level below which the alarm is on (--service-level-target); DefaultTarget when 0
	Grace     time.Duration // an abandon this soon after arrival is a misdial; DefaultGrace when 0
	// Since is when the figures start: the console's start. Calls that
	// arrived before it are in the figures of now only. Zero: the figures
	// cover the whole window.
	Since time.Time
	// MaxCalls is how many calls are remembered at most; DefaultMaxCalls
	// when 0.
	MaxCalls int
}

// withDefaults fills in every unset field and brings the others within
// bounds (Check says what is out of them).
func (cfg Config) withDefaults() Config {
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	// Whole minutes, rounded up, within bounds.
	cfg.Window = min(max((cfg.Window+Bucket-1)/Bucket*Bucket, Bucket), MaxWindow)
	if cfg.Threshold <= 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.Target <= 0 || math.IsNaN(cfg.Target) {
		cfg.Target = DefaultTarget
	}
	cfg.Target = min(cfg.Target, 1)
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = DefaultMaxCalls
	}
	return cfg
}

// Check says, in the flags' words, what in cfg is out of bounds. New takes
// any configuration (it rounds and clamps); Check is for the command line,
// so a mistyped value is refused rather than quietly changed.
func (cfg Config) Check() error {
	switch {
	case cfg.Window < Bucket || cfg.Window > MaxWindow:
		return fmt.Errorf("--stats-window %s: want 1m to %s", cfg.Window, shortDuration(MaxWindow))
	case cfg.Window%Bucket != 0:
		return fmt.Errorf("--stats-window %s: want whole minutes (the figures are kept per minute)", cfg.Window)
	case cfg.Threshold <= 0:
		return fmt.Errorf("--service-level %s: want a positive time to answer within, such as 20s", cfg.Threshold)
	case cfg.Threshold >= cfg.Window:
		return fmt.Errorf("--service-level %s: want less than the window (--stats-window %s)", cfg.Threshold, shortDuration(cfg.Window))
	case !(cfg.Target > 0 && cfg.Target <= 1):
		return fmt.Errorf("--service-level-target %g: want a share of calls above 0 and at most 100%%", cfg.Target)
	case cfg.Grace < 0:
		return fmt.Errorf("short-abandon grace %s is negative", cfg.Grace)
	case cfg.MaxCalls < 0:
		return fmt.Errorf("calls remembered %d is negative", cfg.MaxCalls)
	}
	return nil
}

// ParseTarget reads a service-level target written as a percentage ("80%",
// "92.5%") or a fraction ("0.8"). A bare number above 1 is refused rather
// than guessed at: "80" could be either.
func ParseTarget(s string) (float64, error) {
	text := strings.TrimSpace(s)
	pct := strings.HasSuffix(text, "%")
	num := strings.TrimSpace(strings.TrimSuffix(text, "%"))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a service-level target: write a percentage (80%%) or a fraction (0.8)", s)
	}
	if pct {
		v /= 100
	} else if v > 1 {
		return 0, fmt.Errorf("%q is above 1: write a percentage with its sign (%s%%) or a fraction (%g)", s, num, v/100)
	}
	if v <= 0 || v > 1 {
		return 0, fmt.Errorf("%q is out of range: want above 0 and at most 100%% (1)", s)
	}
	return v, nil
}

// shortDuration writes whole hours and minutes without the trailing zero
// units Duration.String adds ("24h", not "24h0m0s").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
