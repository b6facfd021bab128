package replay

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Config is the replay provider's part of the command line. The program
// embeds it; kong derives the flags and RINGSIDE_* variables from the tags.
type Config struct {
	File  string        `name:"replay" type:"path" placeholder:"FILE" help:"The recording --provider replay plays (one made with --record)."`
	Speed float64       `name:"speed" default:"1" placeholder:"X" help:"Replay X times as fast (4, 100, 0.5); every interval shrinks with it, answer windows included."`
	From  time.Duration `name:"from" default:"0s" placeholder:"DURATION" help:"Start this far into the recording: the calls as they were then appear at once, then time runs."`
	Loop  bool          `name:"loop" help:"Start the replay again at its end; each pass's calls are new to the console (ids end _loop2, _loop3, …)."`
	Act   bool          `name:"replay-act" help:"Let the console act on replayed calls, simulated as the demo does; the recording's later events for a call acted on are skipped. Without it a replay is read-only."`
}

// MaxSpeed bounds --speed: beyond it every interval of a recording is below
// what a timer can tell apart.
const MaxSpeed = 1_000_000

func (cfg Config) validate() error {
	switch {
	case strings.TrimSpace(cfg.File) == "":
		return errors.New("replay: --replay FILE names the recording to play (make one with --record FILE)")
	case math.IsNaN(cfg.Speed) || math.IsInf(cfg.Speed, 0) || cfg.Speed <= 0:
		return fmt.Errorf("replay: --speed %g: want a number above 0 (4 plays four times as fast, 0.5 at half speed)", cfg.Speed)
	case cfg.Speed > MaxSpeed:
		return fmt.Errorf("replay: --speed %g is above the limit of %d", cfg.Speed, MaxSpeed)
	case cfg.From < 0:
		return fmt.Errorf("replay: --from %s is negative; it is how far into the recording to start", cfg.From)
	}
	return nil
}
