package bayeux

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCheckChannel(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern bool
		ok      bool
	}{
		{"/v2/me/calls", false, true},
		{"/v2/me/*", true, true},
		{"/**", true, true},
		{"/v2/me/*", false, false},
		{"/v2/*/calls", true, false},
		{"/v2/me/ca*", true, false},
		{"/v2/me/***", true, false},
		{"v2/me", true, false},
		{"/", true, false},
		{"", true, false},
		{"/v2//calls", true, false},
		{"/v2/calls/", true, false},
		{"/meta/connect", true, false},
		{"/meta", false, false},
		{"/metadata", false, true},
		{"/v2/a\x00b", false, false},
		{"/service/echo", false, true},
	} {
		err := checkChannel(tc.name, tc.pattern)
		if (err == nil) != tc.ok {
			t.Errorf("checkChannel(%q, pattern %v) = %v", tc.name, tc.pattern, err)
		}
	}
}

func TestConfigRefused(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no URL"},
		{Config{URL: "ftp://x/y"}, "http:// or https://"},
		{Config{URL: "http:///path"}, "no host"},
		{Config{URL: "http://user:pw@host/x"}, "credentials"},
		{Config{URL: "http://h/x", Transport: "callback-polling"}, "unknown transport"},
		{Config{URL: "http://h/x", Channels: []string{"/meta/*"}}, "meta channel"},
		{Config{URL: "http://h/x", MaxNetworkDelay: -1}, "MaxNetworkDelay"},
		{Config{URL: "http://h/x", MaxConnectTimeout: -time.Second}, "MaxConnectTimeout"},
		{Config{URL: "http://h/x", BackoffIncrement: 5 * time.Second, MaxBackoff: time.Second}, "MaxBackoff"},
		{Config{URL: "http://h/x", BufferSize: -1}, "BufferSize"},
		{Config{URL: "%zz"}, "URL"},
	} {
		_, err := Start(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start(%+v) = %v, want an error about %q", tc.cfg, err, tc.want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, u, err := Config{URL: "https://gws.example/api/v2/notifications", Channels: []string{"/a", "/b", "/a"}}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "gws.example" || cfg.Jar == nil || cfg.Log == nil ||
		cfg.MaxNetworkDelay != DefaultMaxNetworkDelay || cfg.BackoffIncrement != time.Second || cfg.MaxBackoff != time.Minute || cfg.MaxConnectTimeout != 3*time.Minute ||
		cfg.BufferSize != DefaultBufferSize || cfg.MaxResponseBytes != DefaultMaxResponseBytes {
		t.Fatalf("defaults not filled in: %+v", cfg)
	}
	if strings.Join(cfg.Channels, " ") != "/a /b" {
		t.Fatalf("channels %v, want duplicates removed", cfg.Channels)
	}
	c := &Client{url: u}
	if c.wsURL() != "wss://gws.example/api/v2/notifications" {
		t.Fatalf("websocket URL %q", c.wsURL())
	}
}

// TestCloseWhileUnreachable: a client that cannot reach its server keeps
// trying and says why; Close ends it promptly, with no goroutine left (the
// test package's leak check covers it) and calls after Close fail.
func TestCloseWhileUnreachable(t *testing.T) {
	c, err := Start(Config{URL: "http://127.0.0.1:1/api/v2/notifications", Channels: []string{"/a"}, MaxNetworkDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w := &watcher{t: t, c: c, events: c.Events()}
	first := w.next(5 * time.Second)
	if first.Kind != KindState || first.State != Connecting {
		t.Fatalf("first event %s, want connecting", first)
	}
	failed := w.until(5*time.Second, "a reason", func(ev Event) bool { return ev.Kind == KindState && ev.Reason != "" })
	if failed.State != Connecting || !strings.Contains(failed.Reason, "/meta/handshake") {
		t.Fatalf("failure reported as %s", failed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %s", d)
	}
	for range c.Events() {
	}
	if err := c.Subscribe(ctx, "/b"); err != ErrClosed {
		t.Fatalf("Subscribe after Close: %v", err)
	}
	if err := c.Publish(ctx, "/b", 1); err != ErrClosed {
		t.Fatalf("Publish after Close: %v", err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
