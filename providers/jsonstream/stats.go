package jsonstream

import (
	"encoding/json"
	"strconv"
	"time"

	"ringside/providers/stats"
)

// seconds is a duration written as seconds, to the millisecond (12.345):
// the stream's durations are numbers a script can add up, its times RFC
// 3339 strings.
type seconds time.Duration

func (s seconds) MarshalJSON() ([]byte, error) {
	ms := time.Duration(s).Round(time.Millisecond).Milliseconds()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// secondsOr is d as seconds, or nil (left out) when has is false.
func secondsOr(d time.Duration, has bool) *seconds {
	if !has {
		return nil
	}
	s := seconds(d)
	return &s
}

// The stats line's alarms, by name.
const (
	AlarmSLBelowTarget       = "sl_below_target"
	AlarmWaitBeyondThreshold = "wait_beyond_threshold"
)

type jsonQueue struct {
	Name           string   `json:"name,omitempty"`
	Waiting        int      `json:"waiting"`
	Talking        int      `json:"talking"`
	Held           int      `json:"held"`
	LongestWait    seconds  `json:"longest_wait_s"`
	Offered        int      `json:"offered"`
	Answered       int      `json:"answered"`
	WithinSL       int      `json:"within_sl"`
	SLCounted      int      `json:"sl_counted"`
	Abandoned      int      `json:"abandoned"`
	ShortAbandoned int      `json:"short_abandoned"`
	Rejected       int      `json:"rejected"`
	Transferred    int      `json:"transferred"`
	SL             *float64 `json:"sl,omitempty"`
	ASA            *seconds `json:"asa_s,omitempty"`
	AHT            *seconds `json:"aht_s,omitempty"`
	Arrivals       []int    `json:"arrivals"`
	Alarms         []string `json:"alarms"`
}

func toJSONQueue(q stats.Queue) jsonQueue {
	j := jsonQueue{
		Name: q.Name, Waiting: q.Waiting, Talking: q.Talking, Held: q.Held, LongestWait: seconds(q.LongestWait),
		Offered: q.Offered, Answered: q.Answered, WithinSL: q.WithinSL, SLCounted: q.SLCounted,
		Abandoned: q.Abandoned, ShortAbandoned: q.ShortAbandoned, Rejected: q.Rejected, Transferred: q.Transferred,
		ASA: secondsOr(q.ASA, q.HasASA), AHT: secondsOr(q.AHT, q.HasAHT),
		Arrivals: q.Arrivals, Alarms: []string{},
	}
	if q.HasSL {
		sl := q.SL
		j.SL = &sl
	}
	if j.Arrivals == nil {
		j.Arrivals = []int{}
	}
	if q.SLBelowTarget {
		j.Alarms = append(j.Alarms, AlarmSLBelowTarget)
	}
	if q.WaitBeyondThreshold {
		j.Alarms = append(j.Alarms, AlarmWaitBeyondThreshold)
	}
	return j
}

type jsonStats struct {
	Time      time.Time   `json:"time"`
	Type      string      `json:"type"`
	Since     *time.Time  `json:"since,omitempty"`
	From      time.Time   `json:"from"`
	Window    seconds     `json:"window_s"`
	Threshold seconds     `json:"threshold_s"`
	Target    float64     `json:"target"`
	Queues    []jsonQueue `json:"queues"`
	Total     jsonQueue   `json:"total"`
	Forgotten int         `json:"forgotten,omitempty"`
}

// MarshalStats encodes s as one line of the JSON stream, type "stats" (no
// trailing newline): the figures of each queue and their total at s.At.
func MarshalStats(s stats.Snapshot) ([]byte, error) {
	j := jsonStats{
		Time: s.At.UTC(), Type: "stats", Since: utc(s.Since), From: s.From.UTC(),
		Window: seconds(s.Window), Threshold: seconds(s.Threshold), Target: s.Target,
		Queues: make([]jsonQueue, len(s.Queues)), Total: toJSONQueue(s.Total), Forgotten: s.Forgotten,
	}
	for i, q := range s.Queues {
		j.Queues[i] = toJSONQueue(q)
	}
	return json.Marshal(j)
}
