package webhookauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
)

// The key set is fetched here rather than by keyfunc's HTTP storage, whose
// refresh on an unknown key id is paced by a rate limiter that any caller
// can spend: one request with a made-up key id then kept a key Microsoft had
// just rotated in from being fetched for the whole interval. Owning the
// fetch also tells us exactly when the set changed, which the token cache
// needs (a token is only good while its key is published).

const (
	// fetchTimeout bounds one fetch of the OpenID configuration or the key set.
	fetchTimeout = 10 * time.Second
	// maxDocument bounds what is read of either document; both are a few KiB.
	maxDocument = 1 << 20
)

// keySet is one fetch of the platform's key set. It never changes once
// built: a refresh builds another and swaps it in, so a lookup sees one
// fetch or the next, never half of each.
type keySet struct {
	src  *source
	keys keyfunc.Keyfunc
	kids map[string]bool // the key ids the set holds
}

// source is where key sets come from after one Start: the jwks_uri the
// OpenID configuration named, and the context that ends its refreshes (a
// later Start ends it).
type source struct {
	ctx context.Context
	uri string
}

// flight is one refresh for unknown key ids, shared by every lookup that
// asks for one while it is pending or running.
type flight struct {
	done chan struct{}
	err  error // set before done is closed
}

// fetchKeys fetches and parses the key set at src. Keys ringside cannot use
// (another key type, a broken entry) are skipped with a warning, as long as
// one usable key remains.
func (v *Validator) fetchKeys(ctx context.Context, src *source) (*keySet, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var doc jwkset.JWKSMarshal
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocument)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a key set: %w", err)
	}
	store := jwkset.NewMemoryStorage()
	kids := make(map[string]bool, len(doc.Keys))
	for _, m := range doc.Keys {
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			if !errors.Is(err, jwkset.ErrUnsupportedKey) {
				v.cfg.Log.Warn("graph: a key in the platform's key set is skipped", "kid", m.KID, "err", err)
			}
			continue
		}
		if err := store.KeyWrite(ctx, jwk); err != nil {
			return nil, err
		}
		kids[m.KID] = true
	}
	if len(kids) == 0 {
		return nil, fmt.Errorf("no usable key among the %d in the set", len(doc.Keys))
	}
	kf, err := keyfunc.New(keyfunc.Options{Ctx: src.ctx, Storage: store})
	if err != nil {
		return nil, err
	}
	return &keySet{src: src, keys: kf, kids: kids}, nil
}

// refresh fetches the key set from src again and puts it in use, unless a
// later Start has replaced src meanwhile.
func (v *Validator) refresh(src *source) error {
	ks, err := v.fetchKeys(src.ctx, src)
	if err != nil {
		err = fmt.Errorf("refresh the platform's signing keys from %s: %w", src.uri, err)
		if src.ctx.Err() == nil {
			v.cfg.Log.Warn("graph: cannot refresh the platform's signing keys; the keys loaded before stay in use", "err", err)
		}
		return err
	}
	for {
		cur := v.keys.Load()
		if cur == nil || cur.src != src {
			return nil // a later Start owns the keys now
		}
		if v.keys.CompareAndSwap(cur, ks) {
			return nil
		}
	}
}

// refreshEvery refreshes the key set from src every RefreshInterval until
// src's context ends.
func (v *Validator) refreshEvery(src *source) {
	t := time.NewTicker(v.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-src.ctx.Done():
			return
		case <-t.C:
			_ = v.refresh(src) // logged; the keys in use stay
		}
	}
}

// refreshFor fetches the key set again because a token names a key id that
// seen, the set its lookup used, does not hold: a key rotation, or a made-up
// id. Lookups that ask while such a refresh is pending or running share it
// (single flight). Refreshes start at most once per UnknownKeyInterval, so a
// stream of made-up key ids costs the key server one fetch per interval; a
// lookup that asks sooner waits for the next one instead of being refused,
// since its key id may be a key Microsoft has just rotated in. It returns
// when that refresh is over (its error, if it failed) or ctx ends; the
// caller then looks the key id up again.
func (v *Validator) refreshFor(ctx context.Context, seen *keySet) error {
	v.refreshMu.Lock()
	if v.keys.Load() != seen {
		// The set changed since the lookup: look again before fetching.
		v.refreshMu.Unlock()
		return nil
	}
	f := v.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		v.flight = f
		go v.fly(f, seen.src, time.Until(v.lastUnknown.Add(v.cfg.UnknownKeyInterval)))
	}
	v.refreshMu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fly runs flight f: it waits out delay (the pace between refreshes), then
// refreshes the key set from src and lets f's waiters go.
func (v *Validator) fly(f *flight, src *source, delay time.Duration) {
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-src.ctx.Done():
			t.Stop()
		}
	}
	err := src.ctx.Err()
	if err == nil {
		err = v.refresh(src)
	}
	v.refreshMu.Lock()
	f.err = err
	v.flight = nil
	// The pace counts from the end of a refresh: the key server sees
	// requests at least the interval apart, however long each took.
	v.lastUnknown = time.Now()
	v.refreshMu.Unlock()
	close(f.done)
}
