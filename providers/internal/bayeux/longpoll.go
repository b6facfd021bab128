package bayeux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// newHTTPTransport is an http.Transport like Go's default one, with the
// client's TLS settings. The client keeps two: one only for the held
// /meta/connect, so that subscribes and publishes never queue behind it
// (Bayeux needs two connections per client).
func newHTTPTransport(cfg Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.TLSConfig != nil {
		t.TLSClientConfig = cfg.TLSConfig.Clone()
	}
	t.ResponseHeaderTimeout = 0 // a held connect answers late on purpose; contexts bound each request
	return t
}

// transportError is a request that got no usable answer.
type transportError struct {
	op  string // what was sent, e.g. "/meta/connect"
	err error
	// mayHaveLost is set when the server may have answered with messages
	// that never arrived: the request went out and the answer was cut,
	// timed out or unreadable.
	mayHaveLost bool
}

func (e *transportError) Error() string { return fmt.Sprintf("%s: %v", e.op, e.err) }

func (e *transportError) Unwrap() error { return e.err }

// lateError is a request not answered, or not completely, within its
// deadline.
type lateError struct {
	wait    time.Duration
	partial bool // the answer had started
}

func (e *lateError) Error() string {
	if e.partial {
		return fmt.Sprintf("answer not complete within %s", e.wait.Round(time.Millisecond))
	}
	return fmt.Sprintf("no answer within %s", e.wait.Round(time.Millisecond))
}

// dialFailed says whether err happened before anything was sent.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// httpCarrier takes one session's messages over long-polling.
type httpCarrier struct {
	c *Client
	s *session
}

func (h *httpCarrier) transport() Transport { return LongPolling }

func (h *httpCarrier) close() {}

func (h *httpCarrier) exchange(ctx context.Context, msgs []*message, wait time.Duration, poll bool) (map[messageID]*message, error) {
	hc := h.c.reqHTTP
	if poll {
		hc = h.c.pollHTTP
	}
	return h.c.post(ctx, hc, msgs, wait, h.s)
}

// post sends messages in one HTTP POST and routes what comes back: data
// messages to the consumer, replies to the messages sent (by id) to the
// caller. s is the session the messages belong to, nil for a handshake.
func (c *Client) post(ctx context.Context, hc *http.Client, msgs []*message, wait time.Duration, s *session) (map[messageID]*message, error) {
	op := describe(msgs)
	body, err := encodeRequest(msgs)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// faye parses anything but application/json as a form.
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if c.cfg.Header != nil {
		c.cfg.Header(req.Header)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = &lateError{wait: wait}
		}
		return nil, c.failed(s, &transportError{op: op, err: err, mayHaveLost: !dialFailed(err)}, false)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		e := fmt.Errorf("HTTP %s", resp.Status)
		if t := bytes.TrimSpace(snippet); len(t) > 0 {
			e = fmt.Errorf("HTTP %s: %s", resp.Status, abbreviate(t))
		}
		return nil, c.failed(s, &transportError{op: op, err: e}, false)
	}
	data, err := readBody(resp.Body, resp.ContentLength, c.cfg.MaxResponseBytes)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = &lateError{wait: wait, partial: true}
		}
		return nil, c.failed(s, &transportError{op: op, err: fmt.Errorf("reading the answer: %w", err), mayHaveLost: true}, false)
	}
	// Messages are handed on in batches as they are decoded, so that the
	// consumer starts on a burst while the rest is still being read.
	replies := make(map[messageID]*message, len(msgs))
	err = parseMessages(data, func(batch []message) { c.route(s, batch, msgs, replies) })
	var derr *decodeError
	switch {
	case err == nil:
	case errors.As(err, &derr) && !derr.Truncated:
		// Some messages had the wrong shape; the rest arrived. Have the
		// consumer read afresh for what could not be read.
		c.log.Warn("unreadable messages in an answer", "op", op, "err", derr)
		c.failed(s, &transportError{op: op, err: derr, mayHaveLost: true}, true)
	default:
		// What preceded the break was handed on; the rest is lost.
		return nil, c.failed(s, &transportError{op: op, err: fmt.Errorf("unreadable answer: %w", err), mayHaveLost: true}, false)
	}
	return replies, nil
}

// readBody reads a whole body of at most max bytes, in one allocation when
// its length is announced (a burst answer weighs megabytes).
func readBody(r io.Reader, length, max int64) ([]byte, error) {
	lr := io.LimitReader(r, max+1)
	var data []byte
	var err error
	if length > 0 && length <= max {
		buf := bytes.NewBuffer(make([]byte, 0, length+bytes.MinRead))
		_, err = buf.ReadFrom(lr)
		data = buf.Bytes()
	} else {
		data, err = io.ReadAll(lr)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("answer larger than %d bytes (MaxResponseBytes)", max)
	}
	return data, nil
}

// failed notes a failed request and returns its error. When messages may
// have been lost (and the client is not closing), the consumer will be told
// to resynchronise (see noteLoss for now).
func (c *Client) failed(s *session, e *transportError, now bool) error {
	if e.mayHaveLost && s != nil && c.ctx.Err() == nil {
		c.noteLoss(e.Error(), now)
	}
	return e
}
