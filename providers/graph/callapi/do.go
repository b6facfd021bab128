package callapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"ringside/providers"
	"ringside/providers/textsafe"
)

// maxWait caps a single Retry-After we are willing to honour.
const maxWait = time.Minute

// act sends one action, retrying as Graph asks until the attempt limit, the
// deadline (or budget) or ctx says stop. On success, reply (when not nil)
// receives the body of Graph's answer.
func (c *Client) act(ctx context.Context, action, id, method, suffix string, body any, deadline time.Time, reply *[]byte) error {
	if err := providers.CheckCallID(id); err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s %s: encode request: %w", action, id, err)
		}
	}
	target := c.base + "/communications/calls/" + url.PathEscape(id) + suffix
	limit, why := deadline, "the call's answer deadline"
	if limit.IsZero() {
		limit, why = c.cfg.Now().Add(c.cfg.Budget), fmt.Sprintf("the %s retry budget", c.cfg.Budget)
	}
	clientReqID := newUUID()
	refreshed := false
	for attempt := 1; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return fmt.Errorf("%s %s: %w", action, id, err)
		}
		res, err := c.send(ctx, tok, method, target, payload, clientReqID)
		if err != nil {
			return fmt.Errorf("%s %s: %w", action, id, err)
		}
		level := slog.LevelInfo
		if method == http.MethodGet {
			level = slog.LevelDebug // reads check on calls in the background; actions are what matters
		}
		c.cfg.Log.Log(ctx, level, "graph: "+action, "call", id, "status", res.status, "attempt", attempt,
			"request_id", res.refused.RequestID, "client_request_id", clientReqID)
		switch {
		case res.status >= 200 && res.status < 300:
			if reply != nil {
				*reply = res.body
			}
			return nil
		case res.status == http.StatusUnauthorized && !refreshed:
			// The app token may have been revoked or expired early: fetch
			// a fresh one and try once more, unless the moment has passed.
			if !c.cfg.Now().Before(limit) {
				return fmt.Errorf("%s %s: not retried with a new app token: %s has passed: %w", action, id, why, res.refused)
			}
			refreshed = true
			c.dropToken(ctx, tok)
			continue
		case gone(res):
			return fmt.Errorf("%s %s: %w", action, id, &GoneError{Refused: res.refused})
		case retryable(res.status):
			if attempt >= c.cfg.MaxAttempts {
				return fmt.Errorf("%s %s: gave up after %d attempts: %w", action, id, attempt, res.refused)
			}
			wait, asked := res.retryAfter, res.hasRetryAfter
			if !asked {
				wait = backoff(attempt)
			}
			if wait > maxWait {
				return fmt.Errorf("%s %s: not retried: Graph asked to wait %s: %w", action, id, wait.Round(time.Millisecond), res.refused)
			}
			if !c.cfg.Now().Add(wait).Before(limit) {
				return fmt.Errorf("%s %s: not retried: waiting %s would pass %s: %w",
					action, id, wait.Round(time.Millisecond), why, res.refused)
			}
			// Nor wait for a retry the caller's own time limit would cut
			// off: say so now rather than when that limit strikes.
			if d, ok := ctx.Deadline(); ok && time.Until(d) <= wait {
				return fmt.Errorf("%s %s: not retried: waiting %s would run past the time allowed for it (%w): %w",
					action, id, wait.Round(time.Millisecond), context.DeadlineExceeded, res.refused)
			}
			if err := c.sleep(ctx, wait); err != nil {
				return fmt.Errorf("%s %s: stopped while waiting to retry: %w (last reply: %v)", action, id, err, res.refused)
			}
		default:
			err := fmt.Errorf("%s %s: %w", action, id, res.refused)
			if hint := hintFor(res); hint != "" {
				err = fmt.Errorf("%w (%s)", err, hint)
			}
			return err
		}
	}
}

type result struct {
	status        int
	body          []byte // the reply's body, at most 1 MiB
	refused       *providers.RefusedError
	retryAfter    time.Duration
	hasRetryAfter bool
}

func (c *Client) send(ctx context.Context, tok *oauth2.Token, method, target string, payload []byte, clientReqID string) (result, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return result{}, fmt.Errorf("build request: %w", err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("client-request-id", clientReqID)
	req.Header.Set("User-Agent", "ringside")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return result{}, fmt.Errorf("cannot reach Graph: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	res := result{status: resp.StatusCode, body: raw}
	res.refused = parseError(resp.StatusCode, raw)
	if res.refused.RequestID == "" {
		res.refused.RequestID = resp.Header.Get("request-id")
	}
	res.retryAfter, res.hasRetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())
	return res, nil
}

// GoneError says the call no longer exists at Graph: it ended, timed out, or
// was never this app's. It matches providers.ErrNotFound with errors.Is and
// carries Graph's own words.
type GoneError struct {
	Refused *providers.RefusedError
}

func (e *GoneError) Error() string { return "the call no longer exists: " + e.Refused.Error() }

// Unwrap exposes both the contract's ErrNotFound and Graph's refusal.
func (e *GoneError) Unwrap() []error { return []error{providers.ErrNotFound, e.Refused} }

// gone reports whether a reply means the call is not there: 404, or the
// calling service's "Call not found" code under whatever status it comes.
func gone(r result) bool {
	return r.status == http.StatusNotFound || (r.status >= 400 && r.refused.Code == "8522")
}

func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

func hintFor(r result) string {
	switch {
	case r.refused.Code == "7504" || r.status == http.StatusForbidden:
		return "the app lacks a Calls.* application permission or the tenant's admin consent"
	case r.status == http.StatusUnauthorized:
		return "Graph refused the app token twice: check the tenant, client id and secret"
	}
	return ""
}

// backoff is the wait before retry n when Graph did not say how long.
func backoff(n int) time.Duration {
	return min(time.Duration(1<<min(n-1, 3))*time.Second, 8*time.Second)
}

// ParseRetryAfter reads a Retry-After header: seconds, possibly with a
// fraction ("2.128", as Graph's throttling documentation shows), or an HTTP
// date. It reports false when the header is absent or unreadable.
func ParseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(h, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return 0, false
		}
		if f > (24 * time.Hour).Seconds() {
			return 24 * time.Hour, true
		}
		return time.Duration(f * float64(time.Second)), true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// parseError reads Graph's error body, {"error":{"code","message",
// "innerError":{"request-id",…}}}, accepting the "innererror" spelling and
// numeric codes. Bodies that are not that shape still give a readable refusal.
func parseError(status int, raw []byte) *providers.RefusedError {
	ref := &providers.RefusedError{Status: status}
	if status < 400 {
		return ref
	}
	var body struct {
		Error *struct {
			Code       json.RawMessage `json:"code"`
			Message    string          `json:"message"`
			InnerError *innerError     `json:"innerError"`
			Innererror *innerError     `json:"innererror"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Error != nil {
		ref.Code = rawString(body.Error.Code)
		ref.Message = strings.TrimSpace(body.Error.Message)
		for _, in := range []*innerError{body.Error.InnerError, body.Error.Innererror} {
			if in != nil && ref.RequestID == "" {
				ref.RequestID = strings.TrimSpace(in.RequestID)
			}
		}
		return ref
	}
	// A proxy's HTML page gives its title; the text of anything else,
	// cleaned and cut (textsafe.Body).
	if ref.Message = textsafe.Body(raw); ref.Message == "" || !utf8.Valid(raw) {
		ref.Message = http.StatusText(status)
	}
	return ref
}

type innerError struct {
	RequestID string `json:"request-id"`
}

// rawString reads a JSON string or number as text.
func rawString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// firstLine is the first line of s, cleaned: Entra's error descriptions go
// on with trace and correlation ids on further lines.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return textsafe.Line(s)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newUUID makes the client-request-id Graph echoes, to match our log lines
// with Microsoft's support records.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
