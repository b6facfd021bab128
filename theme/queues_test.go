package theme

import (
	"reflect"
	"strings"
	"testing"
)

// eachQueuesPaint calls fn with every paint of the Queues view, the cells'
// selected looks included.
func eachQueuesPaint(q Queues, fn func(name string, p Paint)) {
	v := reflect.ValueOf(q)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		switch p := v.Field(i).Interface().(type) {
		case Cell:
			fn(name+".Normal", p.Normal)
			fn(name+".Selected", p.Selected)
		case Paint:
			fn(name, p)
		}
	}
}

// The Queues view's paints: no colour in mono; the selected row stands out
// in every theme (reverse video in mono); an alarm looks different from an
// ordinary figure, in colour where there is colour.
func TestQueuesPaints(t *testing.T) {
	eachQueuesPaint(MustNew(Mono, true).Queues, func(name string, p Paint) {
		if c := colours(p.Render("x")); len(c) > 0 {
			t.Errorf("mono %s has colour parameters %v", name, c)
		}
	})
	for _, n := range []Name{Dark, Light, Mono} {
		s := MustNew(n, true)
		q := s.Queues
		for name, c := range map[string]Cell{"Alarm": q.Alarm, "Total": q.Total, "Spark": q.Spark} {
			if c.Normal == c.Selected {
				t.Errorf("%s: %s looks the same selected", n, name)
			}
			if n == Mono && !strings.Contains(c.Selected.Open, "7") {
				t.Errorf("mono: selected %s is not reverse video: %q", name, c.Selected.Open)
			}
		}
		if q.Alarm.Normal == s.Table.Text.Normal || q.DigitsAlarm == q.Digits {
			t.Errorf("%s: an alarm looks like an ordinary figure", n)
		}
		if n != Mono && (len(colours(q.Alarm.Normal.Open)) == 0 || len(colours(q.DigitsAlarm.Open)) == 0) {
			t.Errorf("%s: alarms have no colour: %q, %q", n, q.Alarm.Normal.Open, q.DigitsAlarm.Open)
		}
	}
}
