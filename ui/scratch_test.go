package ui

import (
	"fmt"
	"testing"
	"time"

	"ringside/providers"
)

func TestScratch(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.status(providers.Status{Link: providers.LinkLive, Agent: "Ready"})
	a := ringing("c1", "Alice Smith", t0.Add(-6*time.Second))
	b := ringing("c2", "Bob 長い名前 Jones", t0.Add(-1*time.Second))
	c := answered(ringing("c3", "Carol", t0.Add(-200*time.Second)), t0.Add(-190*time.Second))
	d := ended(ringing("c4", "Dan", t0.Add(-100*time.Second)), t0.Add(-90*time.Second), providers.EndReason{Code: 480, Text: "timed out"}, providers.OutcomeMissed)
	hs.events(a, b, c, d)
	fmt.Println(hs.screen())
	hs.key("j"); hs.key("r")
	fmt.Println(hs.screen())
	hs.key("b")
	fmt.Println(hs.screen())
	hs.key("tab"); hs.key("enter")
	fmt.Println(hs.screen())
	fmt.Println(hs.p.requests())
}
