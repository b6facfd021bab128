package bayeux

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// wsCarrier takes one session's messages over a websocket. The socket is
// opened after the handshake (which always travels over HTTP) and opened
// again, same session, when it breaks; the server then either resumes the
// session or says it no longer knows it.
type wsCarrier struct {
	c *Client
	s *session

	mu     sync.Mutex
	conn   *wsConn // nil while there is no socket
	closed bool
}

func newWSCarrier(c *Client, s *session) *wsCarrier { return &wsCarrier{c: c, s: s} }

func (w *wsCarrier) transport() Transport { return WebSocket }

// wsURL is the Bayeux URL with a websocket scheme.
func (c *Client) wsURL() string {
	u := *c.url
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	return u.String()
}

// dial opens a socket if there is none.
func (w *wsCarrier) dial(ctx context.Context) error {
	_, err := w.socket(ctx)
	return err
}

// socket returns the open socket, opening one if needed.
func (w *wsCarrier) socket(ctx context.Context) (*wsConn, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, errors.New("websocket: session over")
	}
	if w.conn != nil && !w.conn.isDead() {
		return w.conn, nil
	}
	c := w.c
	d := websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: c.cfg.MaxNetworkDelay,
		TLSClientConfig:  c.cfg.TLSConfig,
		Jar:              c.cfg.Jar,
	}
	h := http.Header{}
	if c.cfg.Header != nil {
		c.cfg.Header(h)
	}
	ws, resp, err := d.DialContext(ctx, c.wsURL(), h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("websocket upgrade: HTTP %s", resp.Status)
		}
		return nil, fmt.Errorf("websocket: %w", err)
	}
	ws.SetReadLimit(c.cfg.MaxResponseBytes)
	conn := &wsConn{ws: ws, pending: map[messageID]awaited{}, dead: make(chan struct{})}
	conn.read.Store(time.Now().UnixNano())
	w.conn = conn
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		w.read(conn)
	}()
	return conn, nil
}

// read routes what arrives on one socket until it breaks.
func (w *wsCarrier) read(conn *wsConn) {
	for {
		_, data, err := conn.ws.ReadMessage()
		conn.read.Store(time.Now().UnixNano())
		if err != nil {
			if conn.kill(fmt.Errorf("websocket: %w", err)) && w.c.ctx.Err() == nil && !w.isClosed() {
				// Whatever was on its way in is gone.
				w.c.noteLoss("the websocket broke: "+err.Error(), false)
			}
			return
		}
		got, derr := decodeResponse(data)
		if derr != nil {
			w.c.log.Warn("unreadable websocket frame", "err", derr)
			w.c.noteLoss("unreadable websocket frame: "+derr.Error(), true)
		}
		if len(got) == 0 {
			continue
		}
		w.c.q.addMessages(got)
		for i := range got {
			m := &got[i]
			if m.isData() || conn.answer(m) {
				continue
			}
			w.c.route(w.s, []message{*m}, nil, nil)
		}
	}
}

func (w *wsCarrier) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

func (w *wsCarrier) exchange(ctx context.Context, msgs []*message, wait time.Duration, poll bool) (map[messageID]*message, error) {
	op := describe(msgs)
	dialCtx, cancel := context.WithTimeout(ctx, wait)
	conn, err := w.socket(dialCtx)
	cancel()
	if err != nil {
		return nil, &transportError{op: op, err: err}
	}
	body, err := encodeRequest(msgs)
	if err != nil {
		return nil, err
	}
	waits := make([]chan *message, len(msgs))
	for i, m := range msgs {
		waits[i] = conn.expect(m)
	}
	defer conn.forget(msgs)
	if err := conn.write(body, wait); err != nil {
		conn.kill(err)
		return nil, &transportError{op: op, err: err}
	}
	// A held connect must be answered within wait (the server's timeout
	// plus the grace): the server answers it when its hold ends, whatever
	// it pushed meanwhile, and one that keeps pushing frames but never
	// answers no longer serves the session. Any other request is given up
	// only when nothing at all arrives on the socket for wait: a burst
	// pushed ahead of its reply is a sign of life.
	timer := time.NewTimer(wait)
	defer timer.Stop()
	replies := make(map[messageID]*message, len(msgs))
	for i := 0; i < len(msgs); {
		select {
		case r := <-waits[i]:
			replies[msgs[i].ID] = r
			i++
		case <-conn.dead:
			// The reader noted the loss, if any.
			return nil, &transportError{op: op, err: conn.deathCause()}
		case <-ctx.Done():
			return nil, &transportError{op: op, err: ctx.Err()}
		case <-timer.C:
			if quiet := time.Since(conn.lastRead()); !poll && quiet < wait {
				timer.Reset(wait - quiet)
				continue
			}
			err := &lateError{wait: wait}
			if conn.kill(err) {
				return nil, w.c.failed(w.s, &transportError{op: op, err: err, mayHaveLost: true}, false)
			}
			return nil, &transportError{op: op, err: conn.deathCause()}
		}
	}
	return replies, nil
}

// close ends the session's socket for good.
func (w *wsCarrier) close() {
	w.mu.Lock()
	w.closed = true
	conn := w.conn
	w.conn = nil
	w.mu.Unlock()
	if conn != nil {
		conn.kill(errors.New("websocket closed"))
	}
}

// wsConn is one open socket.
type wsConn struct {
	ws      *websocket.Conn
	writeMu sync.Mutex
	read    atomic.Int64 // when a frame last arrived, in Unix nanoseconds

	mu      sync.Mutex
	pending map[messageID]awaited // replies awaited, by id
	dead    chan struct{}         // closed when the socket is gone
	cause   error
}

// awaited is a reply some exchange waits for.
type awaited struct {
	channel string
	reply   chan *message
}

// expect registers a reply to wait for.
func (c *wsConn) expect(m *message) chan *message {
	ch := make(chan *message, 1)
	c.mu.Lock()
	c.pending[m.ID] = awaited{channel: m.Channel, reply: ch}
	c.mu.Unlock()
	return ch
}

// forget unregisters the replies of msgs.
func (c *wsConn) forget(msgs []*message) {
	c.mu.Lock()
	for _, m := range msgs {
		delete(c.pending, m.ID)
	}
	c.mu.Unlock()
}

// answer hands a reply (never a data message) to whoever waits for it:
// same id, same channel.
func (c *wsConn) answer(m *message) bool {
	if m.ID == "" {
		return false
	}
	c.mu.Lock()
	a, ok := c.pending[m.ID]
	ok = ok && a.channel == m.Channel
	if ok {
		delete(c.pending, m.ID)
	}
	c.mu.Unlock()
	if ok {
		a.reply <- m
	}
	return ok
}

func (c *wsConn) write(body []byte, wait time.Duration) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(wait))
	if err := c.ws.WriteMessage(websocket.TextMessage, body); err != nil {
		return fmt.Errorf("websocket: %w", err)
	}
	return nil
}

// kill closes the socket; it says whether this call did (the first one).
func (c *wsConn) kill(cause error) bool {
	c.mu.Lock()
	select {
	case <-c.dead:
		c.mu.Unlock()
		return false
	default:
	}
	c.cause = cause
	close(c.dead)
	c.mu.Unlock()
	c.ws.Close()
	return true
}

// lastRead is when a frame last arrived (or the socket opened).
func (c *wsConn) lastRead() time.Time { return time.Unix(0, c.read.Load()) }

func (c *wsConn) isDead() bool {
	select {
	case <-c.dead:
		return true
	default:
		return false
	}
}

func (c *wsConn) deathCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause == nil {
		return errors.New("websocket closed")
	}
	if strings.Contains(c.cause.Error(), "use of closed network connection") {
		return errors.New("websocket closed")
	}
	return c.cause
}
