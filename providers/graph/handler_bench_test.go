package graph

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

// BenchmarkHandlerDirect calls the webhook's handler and a bare one directly,
// without a network in between, so the webhook's own cost per notification
// (token check from the cache, decode, hand-off, and the worker applying it
// on the other core) shows without the HTTP round trip around it.
func BenchmarkHandlerDirect(b *testing.B) {
	srv := graphtest.Start(b, graphtest.Options{})
	p, err := New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", ClientID: srv.Options.ClientID, OpenIDConfig: srv.OpenIDConfig}, providers.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := p.auth.Start(ctx); err != nil {
		b.Fatal(err)
	}
	queue := make(chan batch, 1024)
	events := make(chan providers.Event, 1024)
	go p.work(ctx, events, queue, nil)
	go func() {
		for {
			select {
			case <-events:
			case <-ctx.Done():
				return
			}
		}
	}()
	h := &webhook{p: p, ctx: ctx, queue: queue, logRefusal: rate.Sometimes{Interval: time.Second}}
	auth := "Bearer " + srv.Signer.MustSign(graphtest.Claims(srv.Options.ClientID, time.Now()))
	bodies := benchBodies()
	bare := bareHandler()
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"ringside", h}} {
		b.Run(tc.name, func(b *testing.B) {
			var n atomic.Uint64
			buf := make([]byte, 0, 2048)
			for b.Loop() {
				buf = fill(buf, &bodies, n.Add(1))
				req := httptest.NewRequest("POST", "/api/calls", bytes.NewReader(buf))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", auth)
				rec := httptest.NewRecorder()
				tc.h.ServeHTTP(rec, req)
				if rec.Code != 202 {
					b.Fatal(rec.Code, rec.Body.String())
				}
			}
		})
	}
}
