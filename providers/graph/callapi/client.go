// Package callapi acts on calls through the Microsoft Graph calls API:
// answer, reject, redirect, transfer and hang up (DELETE), and reads them (GET), with an
// app-only token from the client-credentials grant. It turns Graph's error
// bodies into errors a person can act on (with the request id support will
// ask for), treats 404 and the calling service's "call not found" code as
// the call being gone, and retries throttling (429) and unavailability (503,
// 504) as Graph asks through Retry-After — but never past the moment the
// action stops making sense: a ringing call's answer deadline, or a fixed
// budget when there is none.
package callapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"ringside/providers"
	"ringside/providers/httpguard"
)

// DefaultAPIBase is Graph's v1.0 endpoint in the global cloud.
const DefaultAPIBase = "https://graph.microsoft.com/v1.0"

// Config is what the client needs. The secret is only held in memory and
// never appears in an error or a log line.
type Config struct {
	APIBase      string // DefaultAPIBase when empty
	TokenURL     string // the tenant's token endpoint; required
	ClientID     string // required
	ClientSecret string // required
	// Scope of the app token; "<scheme>://<host of APIBase>/.default" when
	// empty, which is https://graph.microsoft.com/.default in the global
	// cloud and follows national clouds' hosts.
	Scope string
	// CallbackURL is sent as callbackUri when answering, so Graph posts the
	// call's later notifications there; empty leaves it to the bot's
	// registered calling webhook.
	CallbackURL string
	HTTPClient  *http.Client // a client with a 15 s timeout when nil
	Log         *slog.Logger
	Now         func() time.Time
	// Budget bounds the time spent retrying an action that has no deadline
	// of its own (a hang-up, or an action on a call we never saw ring);
	// 20 s when zero. MaxAttempts bounds the tries of any action (5 when zero).
	Budget      time.Duration
	MaxAttempts int
	// OnReject, when set, hears of each reject once its reason has passed
	// the check and before the request is first sent: Graph's notification
	// that the call ended may arrive before its reply to the reject, and a
	// caller that words that end needs the reason by then.
	OnReject func(id string, reason providers.RejectReason)
}

// Client talks to the calls API. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  string
	grant *clientcredentials.Config
	// tokenTurn is held (one slot) while the cached token is read or a new
	// one fetched; waiting for it is bounded by the caller's context.
	tokenTurn chan struct{}
	tok       *oauth2.Token // the cached app token; nil until fetched
	sleep     func(ctx context.Context, d time.Duration) error
}

// New checks cfg. It does no network I/O: the first action fetches the token.
func New(cfg Config) (*Client, error) {
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	base, err := url.Parse(strings.TrimRight(cfg.APIBase, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("API base %q: want an absolute http(s) URL such as %s", cfg.APIBase, DefaultAPIBase)
	}
	if tu, err := url.Parse(cfg.TokenURL); err != nil || (tu.Scheme != "https" && tu.Scheme != "http") || tu.Host == "" {
		return nil, fmt.Errorf("token URL %q: want an absolute http(s) URL", cfg.TokenURL)
	}
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, errors.New("the app (client) id is missing")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("the client secret is missing")
	}
	if cfg.Scope == "" {
		cfg.Scope = base.Scheme + "://" + base.Host + "/.default"
	}
	if cfg.CallbackURL != "" {
		if cu, err := url.Parse(cfg.CallbackURL); err != nil || (cu.Scheme != "https" && cu.Scheme != "http") || cu.Host == "" {
			return nil, fmt.Errorf("callback URL %q: want an absolute https URL", cfg.CallbackURL)
		}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	// Every request carries the app token, and the token request the
	// client secret: neither follows a redirect elsewhere.
	cfg.HTTPClient = httpguard.Client(cfg.HTTPClient)
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Budget <= 0 {
		cfg.Budget = 20 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	c := &Client{cfg: cfg, base: base.String(), sleep: sleepCtx, tokenTurn: make(chan struct{}, 1)}
	c.grant = &clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     cfg.TokenURL,
		Scopes:       []string{cfg.Scope},
		// Entra takes the credentials as form fields; saying so saves the
		// auto-detection round trip that first tries a Basic header.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	return c, nil
}

// token returns the cached app token, fetching one when it is missing or
// about to expire. The fetch runs under the action's context, so a token
// endpoint that does not answer holds the action up no longer than its
// deadline (oauth2's own TokenSource would fetch under a context of its own).
func (c *Client) token(ctx context.Context) (*oauth2.Token, error) {
	select {
	case c.tokenTurn <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("get an app token: %w", ctx.Err())
	}
	defer func() { <-c.tokenTurn }()
	if c.tok.Valid() {
		return c.tok, nil
	}
	tok, err := c.grant.Token(context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient))
	if err != nil {
		return nil, c.tokenError(err)
	}
	c.tok = tok
	return tok, nil
}

// dropToken forgets the cached token after Graph refused it, unless another
// action has already replaced it.
func (c *Client) dropToken(ctx context.Context, refused *oauth2.Token) {
	select {
	case c.tokenTurn <- struct{}{}:
	case <-ctx.Done():
		return
	}
	if c.tok == refused {
		c.tok = nil
	}
	<-c.tokenTurn
}

func (c *Client) tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := "the token endpoint refused"
		if re.Response != nil {
			msg += fmt.Sprintf(" (HTTP %d)", re.Response.StatusCode)
		}
		switch {
		case re.ErrorCode != "" && re.ErrorDescription != "":
			msg += ": " + re.ErrorCode + ": " + firstLine(re.ErrorDescription)
		case re.ErrorCode != "":
			msg += ": " + re.ErrorCode
		}
		return errors.New(c.redact("get an app token: " + msg))
	}
	return &redacted{msg: c.redact("get an app token: " + err.Error()), err: err}
}

// redact removes the secret from s, should any library ever echo it.
func (c *Client) redact(s string) string {
	if c.cfg.ClientSecret == "" {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.ClientSecret, "[redacted]")
}

// redacted keeps the chain of a token error (for errors.Is on context
// errors) while showing only scrubbed text.
type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// Answer answers a ringing call with service-hosted media, accepting audio.
// Retries stop before deadline (zero: the client's budget applies).
func (c *Client) Answer(ctx context.Context, id string, deadline time.Time) error {
	body := answerBody{
		CallbackURI:        c.cfg.CallbackURL,
		AcceptedModalities: []string{"audio"},
		MediaConfig:        mediaConfig{Type: "#microsoft.graph.serviceHostedMediaConfig"},
	}
	return c.act(ctx, "answer", id, http.MethodPost, "/answer", body, deadline, nil)
}

// Reject turns a ringing call down with reason (none, busy or forbidden, in
// any case; empty means none). This is where the reason is checked on the
// way to Graph (providers.CheckRejectReason): nothing else checks it, and an
// unknown one never leaves. Retries stop before deadline (zero: the client's
// budget applies).
func (c *Client) Reject(ctx context.Context, id string, reason providers.RejectReason, deadline time.Time) error {
	r, err := providers.CheckRejectReason(reason)
	if err != nil {
		return fmt.Errorf("reject %s: %w", id, err)
	}
	if c.cfg.OnReject != nil {
		c.cfg.OnReject(id, r)
	}
	return c.act(ctx, "reject", id, http.MethodPost, "/reject", rejectBody{Reason: string(r)}, deadline, nil)
}

// Delete hangs up a call (in a group call, only our leg).
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.act(ctx, "hang up", id, http.MethodDelete, "", nil, time.Time{}, nil)
}

// Get reads a call as Graph knows it now and returns the call resource's
// JSON. A call Graph no longer knows gives a *GoneError, which matches
// providers.ErrNotFound.
func (c *Client) Get(ctx context.Context, id string) ([]byte, error) {
	var body []byte
	err := c.act(ctx, "read", id, http.MethodGet, "", nil, time.Time{}, &body)
	return body, err
}

type answerBody struct {
	CallbackURI        string      `json:"callbackUri,omitempty"`
	AcceptedModalities []string    `json:"acceptedModalities"`
	MediaConfig        mediaConfig `json:"mediaConfig"`
}

type mediaConfig struct {
	Type string `json:"@odata.type"`
}

type rejectBody struct {
	Reason string `json:"reason"`
}
