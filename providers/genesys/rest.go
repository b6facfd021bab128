package genesys

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"ringside/providers"
	"ringside/providers/httpguard"
	"ringside/providers/textsafe"
)

// maxResponse bounds a GWS REST response body. A call list of a busy agent
// is a few kilobytes; anything near this is not GWS.
const maxResponse = 8 << 20

// restTimeout bounds one REST request when the caller's context does not.
const restTimeout = 30 * time.Second

// restClient talks to the GWS REST API: Basic authentication on every
// request, one cookie jar (shared with CometD, which GWS ties to the same HTTP
// session), and the CSRF header GWS hands out on GETs sent back on every
// POST.
type restClient struct {
	base   *url.URL
	user   string
	pass   string
	hint   string // what to check when GWS refuses the credentials
	jar    http.CookieJar
	client *http.Client
	log    *slog.Logger

	mu         sync.Mutex
	csrfHeader string // the header name GWS asked for (X-CSRF-HEADER)
	csrfToken  string // its value (X-CSRF-TOKEN)
}

func newRESTClient(s settings, log *slog.Logger) *restClient {
	jar, _ := cookiejar.New(nil) // never fails without options
	transport := http.DefaultTransport.(*http.Transport).Clone()
	hint := "check --genesys-user and the password"
	if s.passwordFrom == "" {
		hint = "no password was given: set " + PasswordEnv + " or --genesys-password-file"
	}
	// Basic auth goes on every request: the client never carries it across a
	// redirect to another origin or down to http.
	return &restClient{
		base:   s.base,
		user:   s.user,
		pass:   s.password,
		hint:   hint,
		jar:    jar,
		client: httpguard.Client(&http.Client{Jar: jar, Transport: transport, Timeout: restTimeout}),
		log:    log,
	}
}

// envelope is what every GWS response has.
type envelope struct {
	StatusCode    *int   `json:"statusCode"`
	StatusMessage string `json:"statusMessage"`
}

// authenticate adds what GWS needs on every request.
func (c *restClient) authenticate(h http.Header) {
	h.Set("Authorization", "Basic "+basicToken(c.user, c.pass))
	// Some GWS 8.6 pages list Origin as mandatory; it costs nothing.
	h.Set("Origin", c.base.Scheme+"://"+c.base.Host)
}

// csrf returns the CSRF header to send, if GWS has handed one out.
func (c *restClient) csrf() (name, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.csrfHeader, c.csrfToken
}

// headers are the extra headers CometD requests carry: the same credentials
// and the CSRF token (GWS does not document whether CometD is CSRF-checked;
// sending it is harmless).
func (c *restClient) headers() http.Header {
	h := http.Header{}
	c.authenticate(h)
	if name, token := c.csrf(); name != "" {
		h.Set(name, token)
	}
	return h
}

// get fetches path (relative to the base URL, with its query) into out, which
// must have the response's fields besides the envelope.
func (c *restClient) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// post sends body to path. A 403 means the CSRF token is missing or stale
// (GWS recreated the HTTP session): the token is fetched again and the
// request retried once.
func (c *restClient) post(ctx context.Context, path string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encoding the request: %w", err)
	}
	if name, _ := c.csrf(); name == "" {
		// No token yet (first POST of a one-shot command): GWS hands it out
		// on any GET; /api/v2/me is the cheapest.
		if err := c.me(ctx, nil); err != nil {
			return err
		}
	}
	err = c.do(ctx, http.MethodPost, path, payload, out)
	var forbidden *csrfError
	if !errors.As(err, &forbidden) {
		return err
	}
	c.log.Info("GWS refused a POST for its CSRF token; fetching a fresh one and retrying once", "path", path)
	if err := c.me(ctx, nil); err != nil {
		return fmt.Errorf("refreshing the CSRF token after %w: %w", forbidden, err)
	}
	return c.do(ctx, http.MethodPost, path, payload, out)
}

// meUser is the part of GET /api/v2/me the console uses.
type meUser struct {
	UserName  string `json:"userName"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// me reads the signed-in user; it also refreshes cookies and the CSRF token.
func (c *restClient) me(ctx context.Context, user *meUser) error {
	var out struct {
		User json.RawMessage `json:"user"`
	}
	if err := c.get(ctx, "/api/v2/me", &out); err != nil {
		return fmt.Errorf("reading the signed-in user: %w", err)
	}
	if user != nil && !isNull(out.User) {
		// A user object of an unexpected shape only costs the name.
		_ = json.Unmarshal(out.User, user)
	}
	return nil
}

// csrfError is GWS's HTTP 403, which it answers when the CSRF token or the
// session cookie is missing or stale.
type csrfError struct{ body string }

func (e *csrfError) Error() string {
	msg := "GWS refused the request (HTTP 403)"
	if e.body != "" {
		msg += ": " + e.body
	}
	return msg
}

// Unwrap lets a person's error check see a refusal.
func (e *csrfError) Unwrap() error {
	return &providers.RefusedError{Status: http.StatusForbidden, Message: e.body}
}

// AuthError is GWS refusing the credentials (HTTP 401, or statusCode 20).
type AuthError struct {
	User       string
	Hint       string // what to check
	HTTPStatus int
	Message    string // GWS's words, if any
}

func (e *AuthError) Error() string {
	detail := fmt.Sprintf("HTTP %d", e.HTTPStatus)
	if e.Message != "" {
		detail += ": " + e.Message
	}
	return fmt.Sprintf("GWS refused the credentials of user %q (%s); %s", e.User, detail, e.Hint)
}

// Unwrap lets a person's error check see a refusal.
func (e *AuthError) Unwrap() error {
	return &providers.RefusedError{Status: e.HTTPStatus, Message: e.Message}
}

// do sends one request and decodes the reply. Errors say what went wrong in
// words: unreachable server, refused credentials, a statusCode from the
// table, a body that is not GWS's.
func (c *restClient) do(ctx context.Context, method, path string, body []byte, out any) error {
	target := c.base.String() + path
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return fmt.Errorf("building %s %s: %w", method, path, err)
	}
	c.authenticate(req.Header)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if name, token := c.csrf(); name != "" {
			req.Header.Set(name, token)
		}
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("%s %s: %w", method, path, ctxErr)
		}
		return fmt.Errorf("GWS at %s is unreachable: %w", c.base.Host, unwrapURLError(err))
	}
	defer resp.Body.Close()
	c.remember(resp.Header)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("%s %s: reading the reply: %w", method, path, err)
	}
	if len(data) > maxResponse {
		return fmt.Errorf("%s %s: the reply is larger than %d MiB; that is not GWS", method, path, maxResponse>>20)
	}
	var env envelope
	jsonErr := json.Unmarshal(data, &env)
	switch {
	case resp.StatusCode == http.StatusUnauthorized ||
		(jsonErr == nil && env.StatusCode != nil && *env.StatusCode == statusNotAuthenticate):
		return &AuthError{User: c.user, Hint: c.hint, HTTPStatus: resp.StatusCode, Message: env.StatusMessage}
	case resp.StatusCode == http.StatusForbidden && (jsonErr != nil || env.StatusCode == nil):
		return &csrfError{body: textsafe.Body(data)}
	case jsonErr == nil && env.StatusCode != nil && *env.StatusCode != statusOK:
		return &StatusError{Code: *env.StatusCode, Message: env.StatusMessage, HTTPStatus: resp.StatusCode}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("%s %s: %w", method, path, &providers.RefusedError{Status: resp.StatusCode, Message: textsafe.Body(data)})
	case jsonErr != nil:
		return fmt.Errorf("%s %s: GWS sent a reply that is not JSON (%s): %q", method, path, resp.Header.Get("Content-Type"), textsafe.Body(data))
	case env.StatusCode == nil:
		return fmt.Errorf("%s %s: the reply has no statusCode; is %s a GWS server?", method, path, c.base.Host)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: unexpected reply: %w", method, path, err)
		}
	}
	return nil
}

// remember keeps the CSRF header GWS sends with (any) response.
func (c *restClient) remember(h http.Header) {
	name, token := strings.TrimSpace(h.Get("X-CSRF-HEADER")), strings.TrimSpace(h.Get("X-CSRF-TOKEN"))
	if name == "" || token == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.csrfHeader, c.csrfToken = name, token
}

// unwrapURLError drops the "Post \"http://…\":" prefix net/http adds; the
// message already names the server.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// basicToken is the credential part of an HTTP Basic Authorization header.
func basicToken(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
