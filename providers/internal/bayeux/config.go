package bayeux

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"time"
)

// Transport names a way of carrying Bayeux messages.
type Transport string

const (
	// LongPolling is HTTP POST of JSON arrays, a held /meta/connect
	// bringing the server's messages (the one transport GWS 8.5 offers).
	LongPolling Transport = "long-polling"
	// WebSocket is one websocket carrying JSON arrays both ways; the
	// server pushes messages as they come.
	WebSocket Transport = "websocket"
)

// Defaults of Config.
const (
	DefaultMaxNetworkDelay  = 10 * time.Second
	DefaultBackoffIncrement = time.Second
	DefaultMaxBackoff       = 60 * time.Second
	// DefaultMaxConnectTimeout caps the server's advice.timeout (how long
	// it holds a /meta/connect). Real servers hold 30 to 60 s; a server
	// that advises more (up to a day has been seen from a broken one)
	// would leave a dead link undetected for that long while the console
	// shows it live.
	DefaultMaxConnectTimeout = 3 * time.Minute
	DefaultBufferSize        = 65536
	DefaultMaxResponseBytes  = 64 << 20
	// assumedHold is how long a server is assumed to hold a connect until
	// its advice says: the longer of the CometD (30 s) and faye (60 s)
	// defaults, so that a connect is never abandoned while still held.
	assumedHold = 60 * time.Second
)

// Config says where and how to connect. URL is the only required field.
type Config struct {
	// URL of the Bayeux endpoint, http or https, e.g.
	// https://gws.example.com/api/v2/notifications. Messages are POSTed to
	// it as is; the websocket URL is the same with ws or wss.
	URL string

	// Transport forces one transport. Empty negotiates: websocket if the
	// server's handshake offers it and the upgrade works, long-polling
	// otherwise. A forced transport the server does not offer stops the
	// client with a reason.
	Transport Transport

	// Channels are subscribed right after the first handshake and again
	// after every new handshake, before the KindResync event. Patterns
	// ending in /* or /** are allowed. More can be added with Subscribe.
	Channels []string

	// Jar keeps the cookies of every request of the client: CometD servers
	// bind a session to its BAYEUX_BROWSER cookie, GWS to JSESSIONID. Share
	// it with the REST client of the same login. Nil means a jar of the
	// client's own. Run one client per jar: a CometD server degrades
	// several sessions behind one browser cookie to slow polling.
	Jar http.CookieJar

	// Header, when set, is called for every HTTP request (and the websocket
	// upgrade) to add headers: Authorization, a CSRF token, API keys. It may
	// be called from several goroutines at once.
	Header func(h http.Header)

	// Ext, when set, is called for every outgoing message, handshake
	// included, with the message's channel and its ext object to fill in
	// (e.g. an authentication token). An ext left empty is not sent. It
	// may be called from several goroutines at once.
	Ext func(channel string, ext map[string]any)

	// Log receives what the client does and why (never header values).
	// Nil discards.
	Log *slog.Logger

	// TLSConfig for https and wss; nil means Go's defaults.
	TLSConfig *tls.Config

	// MaxNetworkDelay bounds each request's round trip. A held connect may
	// take the server's advice.timeout more: MaxNetworkDelay is its grace,
	// and a connect not answered within timeout plus grace is taken as a
	// lost connection. Default 10 s.
	MaxNetworkDelay time.Duration

	// MaxConnectTimeout caps the advice.timeout the client accepts
	// (default DefaultMaxConnectTimeout, 3 min). When the server advises
	// more, the client asks for this much in each /meta/connect, and
	// takes a connect held past it (plus MaxNetworkDelay) as a lost
	// connection.
	MaxConnectTimeout time.Duration

	// BackoffIncrement and MaxBackoff shape the wait after failures the
	// server gave no advice for: it grows by BackoffIncrement per failure
	// up to MaxBackoff (defaults 1 s and 60 s) and is reset by a success.
	// Each wait is jittered ("equal jitter": between half the step and
	// the whole step), so that clients failing together do not come back
	// together. MaxBackoff also caps the server's advice.interval.
	BackoffIncrement time.Duration
	MaxBackoff       time.Duration

	// BufferSize is how many received messages may wait for the consumer
	// before the client starts dropping them (and says so with a
	// KindResync event). Default 65536.
	BufferSize int

	// MaxResponseBytes bounds one response body or websocket frame.
	// Default 64 MiB (20,000 GWS call messages weigh about 12 MB).
	MaxResponseBytes int64
}

// normalize validates the config and fills in the defaults.
func (cfg Config) normalize() (Config, *url.URL, error) {
	if cfg.URL == "" {
		return cfg, nil, errors.New("bayeux: no URL: give the server's Bayeux endpoint, e.g. https://gws.example.com/api/v2/notifications")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return cfg, nil, fmt.Errorf("bayeux: URL %q: %w", cfg.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return cfg, nil, fmt.Errorf("bayeux: URL %q must start with http:// or https://", cfg.URL)
	}
	if u.Host == "" {
		return cfg, nil, fmt.Errorf("bayeux: URL %q has no host", cfg.URL)
	}
	if u.User != nil {
		return cfg, nil, errors.New("bayeux: the URL must not carry credentials; set them in the Header hook")
	}
	switch cfg.Transport {
	case "", LongPolling, WebSocket:
	default:
		return cfg, nil, fmt.Errorf("bayeux: unknown transport %q (want %q, %q, or empty to negotiate)", cfg.Transport, LongPolling, WebSocket)
	}
	seen := map[string]bool{}
	var chans []string
	for _, ch := range cfg.Channels {
		if err := checkChannel(ch, true); err != nil {
			return cfg, nil, fmt.Errorf("bayeux: %w", err)
		}
		if !seen[ch] {
			seen[ch] = true
			chans = append(chans, ch)
		}
	}
	cfg.Channels = chans
	if cfg.Jar == nil {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return cfg, nil, fmt.Errorf("bayeux: cookie jar: %w", err)
		}
		cfg.Jar = jar
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"MaxNetworkDelay", &cfg.MaxNetworkDelay, DefaultMaxNetworkDelay},
		{"BackoffIncrement", &cfg.BackoffIncrement, DefaultBackoffIncrement},
		{"MaxBackoff", &cfg.MaxBackoff, DefaultMaxBackoff},
		{"MaxConnectTimeout", &cfg.MaxConnectTimeout, DefaultMaxConnectTimeout},
	} {
		if *d.v < 0 {
			return cfg, nil, fmt.Errorf("bayeux: %s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.MaxBackoff < cfg.BackoffIncrement {
		return cfg, nil, errors.New("bayeux: MaxBackoff must not be less than BackoffIncrement")
	}
	if cfg.BufferSize < 0 || cfg.MaxResponseBytes < 0 {
		return cfg, nil, errors.New("bayeux: BufferSize and MaxResponseBytes must not be negative")
	}
	if cfg.BufferSize == 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return cfg, u, nil
}
