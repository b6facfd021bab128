package natsboard

import (
	"context"
	"strings"
	"time"

	"ringside/providers"
	"ringside/providers/textsafe"
)

// boardStatus is what one board contributes to the status line. It is
// guarded by Provider.mu.
type boardStatus struct {
	reading bool // its first watch has not delivered all its values yet

	lease        bool      // a relay holds the board
	leaseGen     uint32    // the watch from scratch that last saw the lease
	offlineSince time.Time // since when no relay holds it

	relay      providers.Status // the relay's provider's status
	relayKnown bool
}

// staleWords follow a board whose relay is gone: what shows is what was.
const staleWords = "showing the board as it was"

// link is the board's own link and words.
func (s *boardStatus) link(provider string) (providers.Link, string) {
	switch {
	case s.reading:
		return providers.LinkConnecting, "reading the board"
	case !s.lease:
		return providers.LinkReconnecting, "relay offline since " + clock(s.offlineSince) + " · " + staleWords
	case !s.relayKnown:
		return providers.LinkConnecting, "waiting for the relay's first status (" + provider + ")"
	}
	return s.relay.Link, s.relay.Detail
}

// clock is t as the header shows times.
func clock(t time.Time) string { return t.Local().Format("15:04:05") }

// linkRank orders links from best to worst, for the merged status.
func linkRank(l providers.Link) int {
	switch l {
	case providers.LinkLive:
		return 0
	case providers.LinkConnecting:
		return 1
	case providers.LinkReconnecting:
		return 2
	}
	return 3 // failed, or a word this build does not know
}

// status is the merged status of every board: the worst link; with one
// board the relay's own words, with several each board's words after its
// name; the warnings of the relays and of read-only boards.
func (p *Provider) status() providers.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out providers.Status
	var details, warnings, readOnly []string
	if !p.lostAt.IsZero() {
		out.Link = providers.LinkReconnecting
		details = append(details, "NATS unreachable since "+clock(p.lostAt)+" · "+staleWords)
	}
	for _, b := range p.boards {
		if b.readOnly {
			readOnly = append(readOnly, b.name)
		}
		provider := textsafe.Line(textsafe.Cut(b.meta.Provider, 32))
		link, detail := b.st.link(provider)
		if linkRank(link) > linkRank(out.Link) || out.Link == "" {
			out.Link = link
		}
		warning := ""
		if b.st.lease && b.st.relayKnown {
			warning = b.st.relay.Warning
		}
		if !p.lostAt.IsZero() {
			detail = "" // the connection's words say it for every board
		}
		if p.multi {
			detail, warning = prefixed(b.name, detail), prefixed(b.name, warning)
		} else if b.st.lease && b.st.relayKnown {
			out.Agent = b.st.relay.Agent
		}
		details, warnings = appendWords(details, detail), appendWords(warnings, warning)
	}
	if len(readOnly) > 0 {
		word := "board "
		if len(readOnly) > 1 {
			word = "boards "
		}
		warnings = append(warnings, "read-only: the NATS user may not send actions on "+word+strings.Join(readOnly, ", "))
	}
	sep := " · "
	if p.multi {
		sep = " | "
	}
	out.Detail, out.Warning = strings.Join(details, sep), strings.Join(warnings, " · ")
	return out
}

func prefixed(board, words string) string {
	if words == "" {
		return ""
	}
	return board + ": " + words
}

func appendWords(list []string, words string) []string {
	if words == "" {
		return list
	}
	return append(list, words)
}

// poke tells the status pump that something it shows may have changed.
func (p *Provider) poke() {
	select {
	case p.dirty <- struct{}{}:
	default:
	}
}

// pumpStatus emits the merged status whenever it changes, until ctx ends.
// One goroutine emits it, so two changes never race to the console in the
// wrong order.
func (p *Provider) pumpStatus(ctx context.Context, sink providers.Sink) {
	var last providers.Status
	sent := false
	for {
		if st := p.status(); !sent || st != last {
			if !providers.Emit(ctx, sink, providers.StatusEvent(p.opts.Now(), st)) {
				return
			}
			last, sent = st, true
		}
		select {
		case <-ctx.Done():
			return
		case <-p.dirty:
		}
	}
}
