package stats_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"ringside/providers"
	"ringside/providers/stats"
)

// latest keeps the latest snapshot of each call by the rule the console's
// store follows: a snapshot replaces the one kept only when its Version is
// higher.
type latest map[string]providers.Call

func (l latest) apply(c providers.Call) {
	if old, ok := l[c.ID]; ok && c.Version <= old.Version {
		return
	}
	l[c.ID] = c
}

// recount works the figures out from scratch at now, applying the package's
// definitions to each call's latest snapshot directly: no buckets, no heaps,
// no versions, no memory of what came before. cfg must have every field set.
func recount(cfg stats.Config, calls latest, now time.Time) stats.Snapshot {
	minutes := int(cfg.Window / time.Minute)
	cur := minute(now)
	first := cur - int64(minutes) + 1
	from := time.Unix(first*60, 0).In(now.Location())
	if cfg.Since.After(from) {
		from = cfg.Since
	}
	type parts struct {
		q             stats.Queue
		speed, handle time.Duration
		handled       int
	}
	byQueue := map[string]*parts{}
	for _, c := range calls {
		if c.Direction != providers.Incoming {
			continue
		}
		name := c.Queue
		if name == "" {
			name = stats.Direct
		}
		p := byQueue[name]
		if p == nil {
			p = &parts{q: stats.Queue{Name: name, Arrivals: make([]int, minutes)}}
			byQueue[name] = p
		}
		q := &p.q
		switch c.State {
		case providers.StateRinging:
			q.Waiting++
			if !c.Arrived.IsZero() {
				q.LongestWait = max(q.LongestWait, now.Sub(c.Arrived))
			}
		case providers.StateConnecting, providers.StateActive:
			q.Talking++
		case providers.StateHeld:
			q.Held++
		}
		m := minute(c.Arrived)
		if c.Arrived.IsZero() || c.Arrived.Before(cfg.Since) || m < first || m > cur {
			continue
		}
		q.Offered++
		q.Arrivals[m-first]++
		result := c.Result()
		answered, pickedUp := !c.Answered.IsZero(), c.Answered
		if !answered && result == providers.OutcomeElsewhere && !c.Ended.IsZero() {
			// Another agent answered it first: answered, when it left here.
			answered, pickedUp = true, c.Ended
		}
		if answered {
			q.Answered++
			speed := max(pickedUp.Sub(c.Arrived), 0)
			p.speed += speed
			if speed <= cfg.Threshold {
				q.WithinSL++
			}
			q.SLCounted++
			if c.State == providers.StateEnded && !c.Ended.IsZero() && !c.Answered.IsZero() {
				p.handled++
				p.handle += max(c.Ended.Sub(c.Answered), 0)
			}
		}
		if !answered && result == providers.OutcomeMissed {
			q.Abandoned++
			if !c.Ended.IsZero() && c.Ended.Sub(c.Arrived) <= cfg.Grace {
				q.ShortAbandoned++
			} else {
				q.SLCounted++
			}
		}
		if !answered && result == providers.OutcomeRejected {
			q.Rejected++
			q.SLCounted++
		}
		if result == providers.OutcomeTransferred {
			q.Transferred++
		}
		if !answered && c.State == providers.StateRinging && now.Sub(c.Arrived) > cfg.Threshold {
			q.SLCounted++
		}
	}

	s := stats.Snapshot{At: now, Since: cfg.Since, From: from, Window: cfg.Window, Threshold: cfg.Threshold, Target: cfg.Target}
	total := parts{q: stats.Queue{Arrivals: make([]int, minutes)}}
	names := make([]string, 0, len(byQueue))
	for name, p := range byQueue {
		q := p.q
		if q.Offered == 0 && q.Waiting == 0 && q.Talking == 0 && q.Held == 0 {
			continue
		}
		names = append(names, name)
		t := &total.q
		t.Waiting += q.Waiting
		t.Talking += q.Talking
		t.Held += q.Held
		t.LongestWait = max(t.LongestWait, q.LongestWait)
		t.Offered += q.Offered
		t.Answered += q.Answered
		t.WithinSL += q.WithinSL
		t.Abandoned += q.Abandoned
		t.ShortAbandoned += q.ShortAbandoned
		t.Rejected += q.Rejected
		t.Transferred += q.Transferred
		t.SLCounted += q.SLCounted
		for i, n := range q.Arrivals {
			t.Arrivals[i] += n
		}
		total.speed += p.speed
		total.handle += p.handle
		total.handled += p.handled
	}
	sort.Strings(names)
	finish := func(p *parts) stats.Queue {
		q := p.q
		if q.SLCounted > 0 {
			q.SL, q.HasSL = float64(q.WithinSL)/float64(q.SLCounted), true
		}
		if q.Answered > 0 {
			q.ASA, q.HasASA = p.speed/time.Duration(q.Answered), true
		}
		if p.handled > 0 {
			q.AHT, q.HasAHT = p.handle/time.Duration(p.handled), true
		}
		q.SLBelowTarget = q.HasSL && q.SL < cfg.Target
		q.WaitBeyondThreshold = q.LongestWait > cfg.Threshold
		return q
	}
	for _, name := range names {
		s.Queues = append(s.Queues, finish(byQueue[name]))
	}
	s.Total = finish(&total)
	return s
}

func minute(t time.Time) int64 {
	s := t.Unix()
	m := s / 60
	if s%60 != 0 && s < 0 {
		m--
	}
	return m
}

// diff says how got differs from want, figure by figure; "" when equal.
func diff(got, want stats.Snapshot) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	var b strings.Builder
	if !got.At.Equal(want.At) || !got.From.Equal(want.From) || !got.Since.Equal(want.Since) {
		fmt.Fprintf(&b, "times: got at %v from %v since %v, want at %v from %v since %v\n", got.At, got.From, got.Since, want.At, want.From, want.Since)
	}
	if got.Forgotten != want.Forgotten {
		fmt.Fprintf(&b, "forgotten: got %d, want %d\n", got.Forgotten, want.Forgotten)
	}
	queues := map[string][2]*stats.Queue{}
	for i := range got.Queues {
		e := queues[got.Queues[i].Name]
		e[0] = &got.Queues[i]
		queues[got.Queues[i].Name] = e
	}
	for i := range want.Queues {
		e := queues[want.Queues[i].Name]
		e[1] = &want.Queues[i]
		queues[want.Queues[i].Name] = e
	}
	queues["(total)"] = [2]*stats.Queue{&got.Total, &want.Total}
	var names []string
	for n := range queues {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := queues[n]
		if !reflect.DeepEqual(e[0], e[1]) {
			fmt.Fprintf(&b, "queue %s:\n  got  %+v\n  want %+v\n", n, e[0], e[1])
		}
	}
	if b.Len() == 0 {
		fmt.Fprintf(&b, "order of queues: got %v, want %v", names2(got.Queues), names2(want.Queues))
	}
	return b.String()
}

func names2(qs []stats.Queue) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.Name)
	}
	return out
}
