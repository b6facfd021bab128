package bayeux

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBayeux is a minimal long-polling Bayeux server that records what it
// receives, for what the real servers cannot show.
type fakeBayeux struct {
	srv   *httptest.Server
	extra string // messages put once before the first held connect's reply
	// forgetful: every held connect is told the session is unknown, as a
	// server that loses sessions at once would.
	forgetful bool

	mu       sync.Mutex
	seen     []fakeRequest
	sent     bool
	polling  int // connects in flight now
	maxPolls int // the most connects ever in flight at once
}

type fakeRequest struct {
	at       time.Time // when it arrived
	header   http.Header
	channels []string
	exts     []string
}

func newFakeBayeux(t *testing.T) *fakeBayeux {
	f := &fakeBayeux{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeBayeux) URL() string { return f.srv.URL + "/api/v2/notifications" }

// count is how many messages on channel the fake received.
func (f *fakeBayeux) count(channel string) int {
	n := 0
	for _, r := range f.requests() {
		for _, ch := range r.channels {
			if ch == channel {
				n++
			}
		}
	}
	return n
}

// checkProtocol fails t unless every handshake and connect travelled alone
// in its request and no two connects were ever outstanding at once.
func (f *fakeBayeux) checkProtocol(t *testing.T) {
	t.Helper()
	for _, r := range f.requests() {
		for _, ch := range r.channels {
			if (ch == chHandshake || ch == chConnect) && len(r.channels) != 1 {
				t.Errorf("%s not alone in its request: %v", ch, r.channels)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.maxPolls != 1 {
		t.Errorf("%d connects outstanding at once, want exactly one", f.maxPolls)
	}
}

func (f *fakeBayeux) requests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.seen...)
}

func (f *fakeBayeux) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(r.Body)
	var msgs []map[string]json.RawMessage
	if err := json.Unmarshal(body, &msgs); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	req := fakeRequest{at: at, header: r.Header.Clone()}
	for _, m := range msgs {
		if string(m["channel"]) == `"`+chConnect+`"` {
			f.mu.Lock()
			f.polling++
			f.maxPolls = max(f.maxPolls, f.polling)
			f.mu.Unlock()
			defer func() {
				f.mu.Lock()
				f.polling--
				f.mu.Unlock()
			}()
		}
	}
	var out []string
	for _, m := range msgs {
		var ch, id, sub string
		json.Unmarshal(m["channel"], &ch)
		json.Unmarshal(m["id"], &id)
		json.Unmarshal(m["subscription"], &sub)
		req.channels = append(req.channels, ch)
		req.exts = append(req.exts, string(m["ext"]))
		switch ch {
		case chHandshake:
			out = append(out, fmt.Sprintf(`{"id":%q,"channel":%q,"successful":true,"clientId":"c1","version":"1.0","supportedConnectionTypes":["long-polling"],"advice":{"reconnect":"retry","interval":0,"timeout":300}}`, id, ch))
		case chConnect:
			if _, first := m["advice"]; !first && f.forgetful {
				out = append(out, fmt.Sprintf(`{"id":%q,"channel":%q,"successful":false,"error":"402::session_unknown","advice":{"reconnect":"handshake","interval":0}}`, id, ch))
				continue
			}
			if _, first := m["advice"]; !first {
				f.mu.Lock()
				extra := f.extra != "" && !f.sent
				f.sent = f.sent || extra
				f.mu.Unlock()
				if extra {
					out = append(out, f.extra)
				} else {
					select {
					case <-time.After(300 * time.Millisecond):
					case <-r.Context().Done():
						return
					}
				}
			}
			out = append(out, fmt.Sprintf(`{"id":%q,"channel":%q,"successful":true}`, id, ch))
		case chSubscribe, chUnsubscribe:
			out = append(out, fmt.Sprintf(`{"id":%q,"channel":%q,"successful":true,"subscription":%q}`, id, ch, sub))
		default:
			out = append(out, fmt.Sprintf(`{"id":%q,"channel":%q,"successful":true}`, id, ch))
		}
	}
	f.mu.Lock()
	f.seen = append(f.seen, req)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, "["+strings.Join(out, ",")+"]")
}
