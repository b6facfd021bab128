// Package httpguard keeps credentials where they were meant to go when a
// server answers with a redirect.
//
// Go's default policy follows up to ten redirects and forwards the
// Authorization header to the same host even when the redirect drops from
// https to http, so a Basic password or a bearer token would cross the
// network in clear text; cookies and request bodies (a client secret in a
// token request) follow too. ringside's clients send a credential on every
// request, so they follow a redirect only within the origin they were given
// (or from http up to https on the same host) and refuse any other, saying
// why.
//
// The same rule decides where plain http may go at all: only to this machine
// (IsLoopbackHost), where nothing crosses a network. Providers refuse an http
// URL for any other host, and the inbound webhook may run without its token
// check only on a loopback listener.
package httpguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// MaxRedirects is how many redirects one request may follow.
const MaxRedirects = 5

// ErrRedirect is wrapped by every refusal.
var ErrRedirect = errors.New("redirect refused")

// CheckRedirect is an http.Client CheckRedirect policy: a redirect is
// followed only to the same scheme, host and port as the original request,
// or from http to https on the same host; never from https to http, never to
// another host or port, and at most MaxRedirects times.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	from, to := via[0].URL, req.URL
	switch {
	case len(via) > MaxRedirects:
		return fmt.Errorf("%w: more than %d redirects from %s", ErrRedirect, MaxRedirects, Origin(from))
	case from.Scheme == "https" && to.Scheme != "https":
		return fmt.Errorf("%w: %s redirected to %s, which would send credentials in clear text", ErrRedirect, Origin(from), Origin(to))
	case Origin(from) == Origin(to):
		return nil
	case from.Scheme == "http" && to.Scheme == "https" && strings.EqualFold(from.Hostname(), to.Hostname()):
		return nil
	}
	return fmt.Errorf("%w: %s redirected to %s; credentials are sent only to the server they are for", ErrRedirect, Origin(from), Origin(to))
}

// Client returns a copy of c (a new client when c is nil) that follows
// CheckRedirect.
func Client(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	out.CheckRedirect = CheckRedirect
	return &out
}

// Origin is the scheme, host and port of u, the port always spelled out,
// with no user information, path or query: what a person needs to see where
// a request went, and nothing secret.
func Origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https", "wss":
			port = "443"
		case "http", "ws":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// IsLoopbackHost reports whether host (a name or an IP address, without a
// port) is this machine. Plain http is allowed only to such hosts, and the
// test drivers refuse to talk to any other.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
