// Package natsconn connects a relay or a console to NATS: the command line
// of a connection (URL, credentials, TLS), the rules about where a
// credential may go, and the embedded server a relay starts when it is
// given no URL.
package natsconn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"ringside/providers/httpguard"
	"ringside/providers/secretfile"
	"ringside/providers/textsafe"
)

// PasswordEnv holds the NATS password for --nats-user; a password is never
// a flag (flags show in process lists and shell history).
const PasswordEnv = "RINGSIDE_NATS_PASSWORD"

// DefaultURL is where a console looks for NATS when given no --nats: the
// embedded server of a relay on the same machine.
const DefaultURL = "nats://127.0.0.1:4222"

// Config is a NATS connection's part of the command line. Relay and console
// embed it.
type Config struct {
	URL   string `name:"nats" placeholder:"URL" help:"NATS server(s), comma-separated (nats://, tls://). A console defaults to nats://127.0.0.1:4222; a relay without it starts its own server (see --nats-listen)."`
	Creds string `name:"nats-creds" placeholder:"FILE" help:"NATS credentials file (user JWT and nkey seed), readable by its owner only."`
	User  string `name:"nats-user" help:"NATS user name; the password comes from --nats-password-file or RINGSIDE_NATS_PASSWORD."`
	// PasswordFile holds --nats-user's password, so that a configuration
	// file can name where it is without holding it.
	PasswordFile string `name:"nats-password-file" placeholder:"FILE" help:"File holding the password for --nats-user, readable by its owner only (wins over RINGSIDE_NATS_PASSWORD)."`
	NKey         string `name:"nats-nkey" placeholder:"FILE" help:"File holding the user's nkey seed (SU…), readable by its owner only."`
	TLSCA        string `name:"nats-tls-ca" placeholder:"FILE" help:"CA certificate(s) that sign the NATS server's certificate (turns TLS on)."`
	TLSCert      string `name:"nats-tls-cert" placeholder:"FILE" help:"Client certificate for NATS (with --nats-tls-key)."`
	TLSKey       string `name:"nats-tls-key" placeholder:"FILE" help:"Client certificate's private key for NATS."`
}

// Handlers are told what happens to the connection. nats.go's own
// fallback prints asynchronous errors to stderr, where a console draws, so
// Options always installs an error handler.
type Handlers struct {
	Disconnected func(err error)
	Reconnected  func()
	Closed       func()
	// Error gets asynchronous errors: permission violations, slow consumer
	// notices, consumer resets.
	Error func(err error)
}

// Options turns c into nats.go options: who we are (name), how we prove
// it, TLS, endless reconnection, and the handlers. It refuses a password
// that would travel in clear to a host that is not loopback, and reads
// every secret file with the same rules as the other providers' secrets.
func (c Config) Options(name string, getenv func(string) string, log *slog.Logger, h Handlers) ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if h.Error != nil {
				h.Error(err)
				return
			}
			log.Warn("nats", "err", err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if h.Disconnected != nil {
				h.Disconnected(err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) {
			if h.Reconnected != nil {
				h.Reconnected()
			}
		}),
		nats.ClosedHandler(func(*nats.Conn) {
			if h.Closed != nil {
				h.Closed()
			}
		}),
	}
	tlsOn := c.TLSCA != "" || c.TLSCert != ""
	if c.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, errors.New("nats: --nats-tls-cert and --nats-tls-key go together")
	}
	if c.TLSCert != "" {
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	ways := 0
	if c.Creds != "" {
		ways++
		creds, err := secretfile.ReadUpTo(c.Creds, maxCredsFile)
		if err != nil {
			return nil, fmt.Errorf("nats: --nats-creds: %w", err)
		}
		jwt, err := nkeys.ParseDecoratedJWT([]byte(creds))
		if err != nil {
			return nil, fmt.Errorf("nats: --nats-creds %s holds no user JWT: %w", c.Creds, err)
		}
		kp, err := nkeys.ParseDecoratedNKey([]byte(creds))
		if err != nil {
			return nil, fmt.Errorf("nats: --nats-creds %s holds no nkey seed: %w", c.Creds, err)
		}
		seed, err := kp.Seed()
		if err != nil {
			return nil, fmt.Errorf("nats: --nats-creds %s: %w", c.Creds, err)
		}
		opts = append(opts, nats.UserJWTAndSeed(jwt, string(seed)))
	}
	if c.NKey != "" {
		ways++
		seed, err := secretfile.Read(c.NKey)
		if err != nil {
			return nil, fmt.Errorf("nats: --nats-nkey: %w", err)
		}
		kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(seed)))
		if err != nil {
			return nil, fmt.Errorf("nats: --nats-nkey %s holds no nkey seed: %w", c.NKey, err)
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("nats: --nats-nkey %s: %w", c.NKey, err)
		}
		opts = append(opts, nats.Nkey(pub, kp.Sign))
	}
	if c.PasswordFile != "" && c.User == "" {
		return nil, errors.New("nats: --nats-password-file is the password of --nats-user; give the user too")
	}
	if c.User != "" {
		ways++
		password, err := c.password(getenv)
		if err != nil {
			return nil, err
		}
		// A password is sent as it is; an nkey or a JWT only signs the
		// server's nonce, so only a password needs TLS.
		if !tlsOn {
			if host, clear := clearHost(c.URL); clear {
				return nil, fmt.Errorf("nats: refusing to send the password for %s in clear to %s: use a tls:// URL or --nats-tls-ca", textsafe.Line(c.User), host)
			}
		}
		opts = append(opts, nats.UserInfo(c.User, password))
	}
	if ways > 1 {
		return nil, errors.New("nats: give one of --nats-creds, --nats-nkey and --nats-user")
	}
	return opts, nil
}

// password is --nats-user's password: from --nats-password-file when one is
// named (an explicit choice wins), else from the environment.
func (c Config) password(getenv func(string) string) (string, error) {
	if c.PasswordFile != "" {
		pw, err := secretfile.Read(c.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("nats: --nats-password-file: %w", err)
		}
		return pw, nil
	}
	if pw := getenv(PasswordEnv); pw != "" {
		return pw, nil
	}
	return "", fmt.Errorf("nats: --nats-user %s needs its password in --nats-password-file or %s", textsafe.Line(c.User), PasswordEnv)
}

// maxCredsFile bounds a credentials file: a user JWT, its seed and the
// decorations are about 1 KiB, a JWT with many permissions a few.
const maxCredsFile = 16 << 10

// clearHost is the first host in urls that would be reached without TLS
// and is not loopback.
func clearHost(urls string) (string, bool) {
	if strings.TrimSpace(urls) == "" {
		urls = DefaultURL
	}
	for _, raw := range strings.Split(urls, ",") {
		raw = strings.TrimSpace(raw)
		if !strings.Contains(raw, "://") {
			raw = "nats://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil {
			return raw, true
		}
		if u.Scheme == "tls" || u.Scheme == "wss" {
			continue
		}
		host := u.Hostname()
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			continue
		}
		if !httpguard.IsLoopbackHost(host) {
			return host, true
		}
	}
	return "", false
}

// URLs is the server list to connect to: the configured one, or def.
func (c Config) URLs(def string) string {
	if strings.TrimSpace(c.URL) != "" {
		return c.URL
	}
	return def
}

// Connect connects with c's options. With nats.RetryOnFailedConnect a
// server that is not up yet is not an error: the connection keeps trying,
// and the handlers say when it is in.
func (c Config) Connect(def, name string, getenv func(string) string, log *slog.Logger, h Handlers) (*nats.Conn, error) {
	opts, err := c.Options(name, getenv, log, h)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(c.URLs(def), opts...)
	if err != nil {
		return nil, fmt.Errorf("nats: connect to %s: %w", ShownURLs(c.URLs(def)), err)
	}
	return nc, nil
}

// ShownURLs is a server list as words may show it: without any user or
// password written into a URL, cleaned and bounded.
func ShownURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, part := range parts {
		part = strings.TrimSpace(part)
		scheme := ""
		if j := strings.Index(part, "://"); j >= 0 {
			scheme, part = part[:j+3], part[j+3:]
		}
		if at := strings.LastIndex(part, "@"); at >= 0 {
			part = part[at+1:]
		}
		parts[i] = scheme + part
	}
	return textsafe.Line(textsafe.Cut(strings.Join(parts, ","), 200))
}
