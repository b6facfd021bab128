package demo

import (
	"errors"
	"fmt"
	"math"
)

// Config is the demo provider's part of the command line. The program embeds
// it; kong derives the flags and RINGSIDE_DEMO_* variables from the tags.
type Config struct {
	Rate  float64 `name:"demo-rate" default:"10" placeholder:"PER-MIN" help:"Simulated calls arriving per minute (0: no new calls, only --demo-calls)."`
	Seed  int64   `name:"demo-seed" default:"0" placeholder:"N" help:"Seed of the simulation: the same seed gives the same calls (0: a fresh seed, shown in the header so the run can be repeated)."`
	Calls int     `name:"demo-calls" default:"4" placeholder:"N" help:"Calls already under way at start, a mix of ringing and connected; the first one always rings."`
}

// Defaults, as the flags give them.
const (
	DefaultRate  = 10
	DefaultCalls = 4
)

// Bounds that keep a mistyped flag from exhausting the machine.
const (
	MaxRate  = 60000     // a thousand calls a second
	MaxCalls = 1_000_000 // a million calls under way at start
)

// DefaultConfig is the configuration the flags give when none is set.
func DefaultConfig() Config { return Config{Rate: DefaultRate, Calls: DefaultCalls} }

func (cfg Config) validate() error {
	switch {
	case math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0):
		return errors.New("demo: --demo-rate must be a number of calls per minute")
	case cfg.Rate < 0:
		return fmt.Errorf("demo: --demo-rate %g is negative; use 0 for no new calls", cfg.Rate)
	case cfg.Rate > MaxRate:
		return fmt.Errorf("demo: --demo-rate %g is above the limit of %d calls per minute", cfg.Rate, MaxRate)
	case cfg.Calls < 0:
		return fmt.Errorf("demo: --demo-calls %d is negative; use 0 to start with no calls", cfg.Calls)
	case cfg.Calls > MaxCalls:
		return fmt.Errorf("demo: --demo-calls %d is above the limit of %d", cfg.Calls, MaxCalls)
	}
	return nil
}
