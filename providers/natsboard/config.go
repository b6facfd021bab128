package natsboard

import (
	"errors"
	"fmt"
	"strings"

	"ringside/providers/natsboard/natsconn"
	"ringside/providers/natsboard/wire"
)

// MaxBoards bounds how many boards one console watches.
const MaxBoards = 32

// Config is the NATS part of the command line: the boards, and the
// connection (natsconn.Config), which a relay shares. The program embeds it
// once.
type Config struct {
	Boards []string        `name:"board" sep:"," placeholder:"NAME" help:"Board on NATS: the one a relay publishes, or (--provider nats) the one to watch; repeat it to watch several. Letters, digits, '-' and '_'."`
	NATS   natsconn.Config `embed:""`
}

// boards checks the names the command line gives.
func (c Config) boards() ([]string, error) {
	if len(c.Boards) == 0 {
		return nil, errors.New("nats: --board is required with --provider nats (the name a relay publishes under: ringside relay --board NAME)")
	}
	if len(c.Boards) > MaxBoards {
		return nil, fmt.Errorf("nats: %d boards given, at most %d", len(c.Boards), MaxBoards)
	}
	seen := make(map[string]bool, len(c.Boards))
	names := make([]string, 0, len(c.Boards))
	for _, b := range c.Boards {
		b = strings.TrimSpace(b)
		if err := wire.CheckBoard(b); err != nil {
			return nil, fmt.Errorf("nats: --board: %w", err)
		}
		if seen[b] {
			return nil, fmt.Errorf("nats: --board %s given twice", b)
		}
		seen[b] = true
		names = append(names, b)
	}
	return names, nil
}

// shownURLs is the server list as words may show it (natsconn.ShownURLs).
func shownURLs(urls string) string { return natsconn.ShownURLs(urls) }
