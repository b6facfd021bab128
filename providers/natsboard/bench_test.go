package natsboard

import (
	"context"
	"strconv"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/natsboard/boardtest"
)

// BenchmarkJoin10000: a console joins a board of 10,000 live calls
// (written beforehand) and runs until all of them are in its sink, the
// channel the console reads (as main makes it: 4096 events).
//
//	go test -run '^$' -bench Join10000 -benchtime 5x ./providers/natsboard/
func BenchmarkJoin10000(b *testing.B) {
	const n = 10000
	srv := boardtest.Start(b)
	board := boardtest.Publish(b, srv.Connect("", ""), boardtest.Meta("front", "demo", providers.Actions...))
	board.TakeLease()
	calls := make([]providers.Call, n)
	for i := range calls {
		calls[i] = ringing("c" + strconv.Itoa(i))
	}
	board.Calls(calls)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p, err := New(Config{Boards: []string{"front"}}, providers.Options{})
		if err != nil {
			b.Fatal(err)
		}
		p.cfg.NATS.URL = srv.URL
		ctx, cancel := context.WithCancel(context.Background())
		if _, err := p.Join(ctx); err != nil {
			b.Fatal(err)
		}
		sink := make(chan providers.Event, 4096)
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx, sink) }()
		for got := 0; got < n; {
			if ev := <-sink; ev.Call != nil {
				got++
			}
		}
		b.StopTimer()
		cancel()
		<-done
		p.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/join")
}

// BenchmarkChangeToSink: one call changed on the board (the write and its
// acknowledgement included) until its new snapshot is in the sink.
//
//	go test -run '^$' -bench ChangeToSink ./providers/natsboard/
func BenchmarkChangeToSink(b *testing.B) {
	srv := boardtest.Start(b)
	board := boardtest.Publish(b, srv.Connect("", ""), boardtest.Meta("front", "demo", providers.Actions...))
	board.TakeLease()
	p, err := New(Config{Boards: []string{"front"}}, providers.Options{})
	if err != nil {
		b.Fatal(err)
	}
	p.cfg.NATS.URL = srv.URL
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := p.Join(ctx); err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	sink := make(chan providers.Event, 4096)
	go p.Run(ctx, sink)
	call := ringing("c1")
	wait := func(rev uint64) {
		deadline := time.After(10 * time.Second)
		for {
			select {
			case ev := <-sink:
				if ev.Call != nil && ev.Call.Version == rev {
					return
				}
			case <-deadline:
				b.Fatalf("revision %d never arrived", rev)
			}
		}
	}
	wait(board.Call(call))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		call.Queue = "Queue " + strconv.Itoa(i)
		wait(board.Call(call))
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/change")
}
