package main

import (
	"errors"
	"fmt"
	"time"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/stats"
)

// figuresFlags say what the queue figures are over: the `--json --stats`
// line's, and the console's.
type figuresFlags struct {
	StatsWindow        time.Duration `default:"1h" placeholder:"DURATION" help:"How far back the queue figures go (offered, answered, abandoned, service level, ASA, AHT): whole minutes, 1m to 24h."`
	ServiceLevel       time.Duration `default:"20s" placeholder:"DURATION" help:"Answered within this counts for the service level; a call waiting longer is a miss and raises the wait alarm."`
	ServiceLevelTarget targetFlag    `default:"80%" placeholder:"SHARE" help:"The service level below which a queue's alarm is on: a percentage (80%) or a fraction (0.8)."`
}

// targetFlag is --service-level-target: "80%" or "0.8".
type targetFlag float64

func (t *targetFlag) UnmarshalText(b []byte) error {
	v, err := stats.ParseTarget(string(b))
	if err != nil {
		return err
	}
	*t = targetFlag(v)
	return nil
}

// minStatsEvery bounds --stats-every: a line every tick of a busy loop
// would be no use to anyone.
const minStatsEvery = 100 * time.Millisecond

// config is the figures' configuration from the flags, starting at since.
func (f figuresFlags) config(since time.Time) stats.Config {
	return stats.Config{Window: f.StatsWindow, Threshold: f.ServiceLevel, Target: float64(f.ServiceLevelTarget), Since: since}
}

// checkFigures says what is wrong with the figures' flags, in their words.
func checkFigures(c *cli) error {
	if err := c.Figures.config(time.Time{}).Check(); err != nil {
		return err
	}
	switch {
	case c.Console.Stats && !c.Console.JSON:
		return errors.New("--stats goes with --json: it adds a line of queue figures to the stream")
	case c.Console.StatsEvery < minStatsEvery:
		return fmt.Errorf("--stats-every %s: want at least %s", c.Console.StatsEvery, minStatsEvery)
	}
	return nil
}

// statsLine is the `--json --stats` line: the stream's call events feed a
// Counter, and every `every` its figures are written.
type statsLine struct {
	cfg     stats.Config
	every   time.Duration
	counter *stats.Counter
	ticker  *time.Ticker
}

// newStatsLine is the stats line the command line asks for, or nil.
func newStatsLine(c *cli) *statsLine {
	if !c.Console.Stats {
		return nil
	}
	return &statsLine{cfg: c.Figures.config(time.Time{}), every: c.Console.StatsEvery}
}

// start begins the figures now: calls that arrived before are counted in
// the figures of now only. Every method is a no-op on a nil *statsLine.
func (s *statsLine) start(now time.Time) {
	if s == nil {
		return
	}
	cfg := s.cfg
	cfg.Since = now
	s.counter = stats.New(cfg)
	s.ticker = time.NewTicker(s.every)
}

func (s *statsLine) stop() {
	if s != nil && s.ticker != nil {
		s.ticker.Stop()
	}
}

// ticks is when a line is due; nil (never) without the line.
func (s *statsLine) ticks() <-chan time.Time {
	if s == nil || s.ticker == nil {
		return nil
	}
	return s.ticker.C
}

// apply counts an event the stream wrote.
func (s *statsLine) apply(ev providers.Event) {
	if s != nil && s.counter != nil && ev.Call != nil {
		s.counter.Apply(*ev.Call)
	}
}

// line is the figures at now, encoded.
func (s *statsLine) line(now time.Time) ([]byte, error) {
	return jsonstream.MarshalStats(s.counter.Snapshot(now))
}
