package graph

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"ringside/providers/graph/notification"
	"ringside/providers/graph/webhookauth"
)

// MaxBody is the largest notification body accepted. Graph's are a few KiB.
const MaxBody = 1 << 20

// QueueWait bounds how long a notification waits for room in the worker's
// queue. The queue fills only when the console has stopped taking events
// (the worker then blocks on the sink); a notification that cannot be
// queued by then is answered 503 with Retry-After, so Graph sends it again,
// instead of holding the request until Graph gives up on it.
const QueueWait = 300 * time.Millisecond

// ReadTimeout bounds how long the webhook waits for a request, headers and
// body, once its first bytes are in; a client that sends slower than that is
// cut off. WriteTimeout bounds the answer likewise.
const (
	ReadTimeout  = 10 * time.Second
	WriteTimeout = 15 * time.Second
)

// RetryAfter is the Retry-After of every 503 the webhook answers, in seconds.
const RetryAfter = 2

// webhook receives Graph's call notifications. It answers each POST as soon
// as the body is authenticated and decoded (202) and hands the notifications
// to the worker; it never waits on anything but the queue.
type webhook struct {
	p     *Provider
	ctx   context.Context // ends when Run stops
	queue chan<- batch

	// Refusals are logged at most once a second: anyone on the network can
	// provoke them, and they must not flood the log. Notifications turned
	// away because the console is behind have a limiter of their own, so a
	// flood of bad tokens cannot hide them.
	logRefusal rate.Sometimes
	logBehind  rate.Sometimes
}

var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := h.p.opts.Now()
	path := h.p.set.callbackPath
	if r.URL.Path != path && !strings.HasPrefix(r.URL.Path, strings.TrimRight(path, "/")+"/") {
		h.refuse(w, r, http.StatusNotFound, "nothing here; notifications go to "+path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, "notifications are POSTed")
		return
	}
	if h.p.auth != nil {
		if _, err := h.p.auth.Verify(r.Context(), r.Header.Get("Authorization")); err != nil {
			why := webhookauth.Describe(err)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+strings.ReplaceAll(why, `"`, "'")+`"`)
			h.refuse(w, r, http.StatusUnauthorized, why)
			return
		}
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		h.refuse(w, r, http.StatusUnsupportedMediaType, "notifications must be application/json, not "+strconv.Quote(r.Header.Get("Content-Type")))
		return
	}
	if r.ContentLength > MaxBody {
		h.refuse(w, r, http.StatusRequestEntityTooLarge, "the body is larger than 1 MiB")
		return
	}
	buf := bodyPool.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= pooledBody { // do not keep rare large buffers alive
			bodyPool.Put(buf)
		}
	}()
	body, err := readBody((*buf)[:0], w, r)
	*buf = body
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, "the body is larger than 1 MiB")
			return
		}
		h.refuse(w, r, http.StatusBadRequest, "the body could not be read: "+err.Error())
		return
	}
	items, err := notification.Decode(body)
	if err != nil {
		h.undecoded(w, r, err)
		return
	}
	if len(items) > 0 && !h.enqueue(w, r, batch{at: at, items: items}) {
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// pooledBody is the largest body buffer kept for the next request, and the
// largest read into room made before its bytes arrive. A notification is a
// few kilobytes; room for a bigger Content-Length is not made on the
// client's word, or a flood of requests that claim a megabyte and send
// nothing would hold a megabyte each.
const pooledBody = 64 << 10

// readBody reads the request's body into buf and returns it. A body of
// known length up to pooledBody (all of Graph's) is read in one go into
// room made for it: net/http already stops it at its Content-Length, so it
// needs no http.MaxBytesReader, an allocation on every notification. Any
// other body (chunked, or longer) grows as its bytes come, through one.
func readBody(buf []byte, w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= pooledBody {
		buf = slices.Grow(buf, int(n))[:n]
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // Content-Length promised n bytes
			}
			return buf[:0], err
		}
		return buf, nil
	}
	b := bytes.NewBuffer(buf)
	_, err := b.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBody))
	return b.Bytes(), err
}

// undecoded answers a body Decode refused: a legacy incoming call gets the
// 204 that asks for it again in Graph's format, anything else 400. It is
// apart from ServeHTTP so that the error's target, whose address
// errors.As takes, is not allocated for every notification.
func (h *webhook) undecoded(w http.ResponseWriter, r *http.Request, err error) {
	var legacy *notification.LegacyError
	if errors.As(err, &legacy) {
		h.legacyCall(w, legacy.CallID)
		return
	}
	h.refuse(w, r, http.StatusBadRequest, "not a call notification: "+err.Error())
}

// enqueue hands b to the worker. When it cannot within the provider's queue
// wait it answers the request itself (503, or nothing when the sender has
// gone) and reports false: the notification was not taken.
func (h *webhook) enqueue(w http.ResponseWriter, r *http.Request, b batch) bool {
	select {
	case h.queue <- b: // room at once: no timer on the common path
		return true
	default:
	}
	wait := time.NewTimer(h.p.queueWait)
	defer wait.Stop()
	select {
	case h.queue <- b:
		return true
	case <-wait.C:
		h.behind(w, r)
	case <-h.ctx.Done():
		h.refuse(w, r, http.StatusServiceUnavailable, "the console is shutting down")
	case <-r.Context().Done():
		// The sender gave up; nothing was taken.
	}
	return false
}

// behind turns a notification away because the console has fallen behind:
// counted, logged (at most once a second, with the running count) and
// answered 503 so that Graph retries it.
func (h *webhook) behind(w http.ResponseWriter, r *http.Request) {
	n := h.p.turnedAway.Add(1)
	h.logBehind.Do(func() {
		h.p.opts.Log.Warn("graph: the console is not taking events; notification answered 503 for Graph to send again",
			"waited", h.p.queueWait, "turned_away", n, "path", r.URL.Path, "from", r.RemoteAddr)
	})
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	http.Error(w, "the console is behind; send this notification again later", http.StatusServiceUnavailable)
}

// legacyCall answers an incoming call in the legacy (pre-Graph) format with
// 204 No Content, as Microsoft's protocol determination rule asks, so that
// the platform sends it again in the Graph format. The body is not
// processed; the call is counted, and logged once per call id.
func (h *webhook) legacyCall(w http.ResponseWriter, id string) {
	if first, total := h.p.legacy.note(id); first {
		h.p.opts.Log.Info("graph: a call arrived in the legacy (pre-Graph) format; answered 204 so that it is sent again in the Graph format",
			"call", id, "legacy_calls", total)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *webhook) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	h.logRefusal.Do(func() {
		h.p.opts.Log.Warn("graph: webhook refused a request", "status", status, "why", why,
			"method", r.Method, "path", r.URL.Path, "from", r.RemoteAddr)
	})
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	}
	http.Error(w, why, status)
}

// isJSON accepts application/json and any application/*+json type, with or
// without parameters (charset). It reads only the media type, cheaply: it
// runs for every notification.
func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	const app = "application/"
	if len(mt) <= len(app) || !strings.EqualFold(mt[:len(app)], app) {
		return false
	}
	sub := mt[len(app):]
	return strings.EqualFold(sub, "json") ||
		(len(sub) > len("+json") && strings.EqualFold(sub[len(sub)-len("+json"):], "+json") && !strings.ContainsAny(sub, " /"))
}

// newErrorLog routes net/http's own complaints (TLS handshakes, bad
// requests) to the structured log instead of stderr, where the console draws.
func newErrorLog(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelWarn)
}
