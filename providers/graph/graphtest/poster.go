package graphtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Poster delivers notifications to a webhook the way the calling platform
// does: POST with Content-Type application/json and a bearer token signed by
// the platform's key for our app id.
type Poster struct {
	URL      string       // the webhook, e.g. http://127.0.0.1:8443/api/calls
	Signer   *Signer      // signs the tokens; nil sends no Authorization header
	Audience string       // our app (client) id
	Client   *http.Client // nil: a client with a 10 s timeout
	Now      func() time.Time

	mu       sync.Mutex // guards the cached token: a Poster may be shared
	token    string
	tokenExp time.Time
}

// Reply is what the webhook answered.
type Reply struct {
	Status int
	Body   string
}

// Post sends body and returns the webhook's reply. The token is reused until
// shortly before it expires, as the platform reuses its tokens.
func (p *Poster) Post(ctx context.Context, body []byte) (Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(body))
	if err != nil {
		return Reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Microsoft-Skype/3.0,(Calling/1.0)")
	if p.Signer != nil {
		tok, err := p.bearer()
		if err != nil {
			return Reply{}, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return Do(p.client(), req)
}

// PostWithToken sends body with an explicit Authorization header value (empty:
// none), for tests of bad tokens.
func (p *Poster) PostWithToken(ctx context.Context, body []byte, authorization string) (Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(body))
	if err != nil {
		return Reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return Do(p.client(), req)
}

// Do sends req and reads the reply (up to 64 KiB of body).
func Do(c *http.Client, req *http.Request) (Reply, error) {
	resp, err := c.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, resp.Body)
	return Reply{Status: resp.StatusCode, Body: string(b)}, nil
}

func (p *Poster) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (p *Poster) bearer() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	t := now()
	if p.token != "" && t.Before(p.tokenExp.Add(-5*time.Minute)) {
		return p.token, nil
	}
	tok, err := p.Signer.Sign(Claims(p.Audience, t))
	if err != nil {
		return "", fmt.Errorf("sign notification token: %w", err)
	}
	p.token, p.tokenExp = tok, t.Add(time.Hour)
	return tok, nil
}
