package natsconn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"ringside/providers/httpguard"
	"ringside/providers/statedir"
)

// DefaultListen is where a relay's embedded server listens unless told.
const DefaultListen = "127.0.0.1:4222"

// EmbeddedConfig is the command line of the server a relay starts when it
// is given no --nats.
type EmbeddedConfig struct {
	Listen string `name:"nats-listen" default:"127.0.0.1:4222" placeholder:"HOST:PORT" help:"Where the embedded NATS server listens (a relay without --nats). A host that is not loopback needs --nats-config with users."`
	Store  string `name:"nats-store" placeholder:"DIR" help:"Where the embedded server keeps the boards (default $XDG_STATE_HOME/ringside/nats, else ~/.local/state/ringside/nats)."`
	Config string `name:"nats-config" placeholder:"FILE" help:"nats-server configuration for the embedded server (users, permissions, TLS); --nats-listen and --nats-store still apply."`
}

// Embedded is a running embedded server.
type Embedded struct {
	srv  *server.Server
	lock *os.File
	// URL is where clients reach it.
	URL string
	// Store is the directory it keeps its streams in.
	Store string
}

// DefaultStore is the per-user directory an embedded server keeps its
// boards in.
func DefaultStore(getenv func(string) string) (string, error) {
	dir, err := statedir.Dir(getenv)
	if err != nil {
		return "", fmt.Errorf("%w (give --nats-store)", err)
	}
	return filepath.Join(dir, "nats"), nil
}

// StartEmbedded starts a NATS server with JetStream in this process and
// waits until it takes connections. Two servers on one store would corrupt
// it and NATS takes no lock of its own, so the store is locked first.
func StartEmbedded(cfg EmbeddedConfig, getenv func(string) string, log *slog.Logger) (*Embedded, error) {
	host, port, err := splitListen(cfg.Listen)
	if err != nil {
		return nil, err
	}
	opts := &server.Options{}
	if cfg.Config != "" {
		if opts, err = server.ProcessConfigFile(cfg.Config); err != nil {
			return nil, fmt.Errorf("nats: --nats-config: %w", err)
		}
	}
	if !httpguard.IsLoopbackHost(host) && !isLoopbackIP(host) && !hasUsers(opts) {
		return nil, fmt.Errorf("nats: the embedded server would listen on %s with no users, so anyone who reaches it could act on calls: give --nats-config with users and permissions, or listen on 127.0.0.1", cfg.Listen)
	}
	if err := portFree(host, port); err != nil {
		return nil, err
	}
	store := cfg.Store
	if store == "" {
		if store, err = DefaultStore(getenv); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(store, 0o700); err != nil {
		return nil, fmt.Errorf("nats: store %s: %w", store, err)
	}
	lock, err := lockStore(store)
	if err != nil {
		return nil, err
	}
	opts.ServerName = "ringside"
	opts.Host, opts.Port = host, port
	opts.JetStream = true
	opts.StoreDir = store
	opts.NoSigs = true
	ns, err := server.NewServer(opts)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("nats: embedded server: %w", err)
	}
	ns.SetLogger(slogLogger{log.With("component", "nats-server")}, false, false)
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		lock.Close()
		return nil, fmt.Errorf("nats: the embedded server did not start listening on %s (is the port taken?)", cfg.Listen)
	}
	return &Embedded{srv: ns, lock: lock, URL: ns.ClientURL(), Store: store}, nil
}

// Server is the running server, for in-process connections.
func (e *Embedded) Server() *server.Server { return e.srv }

// Shutdown stops the server and releases the store.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	e.lock.Close()
}

func splitListen(listen string) (string, int, error) {
	if listen == "" {
		listen = DefaultListen
	}
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("nats: --nats-listen %q: want HOST:PORT, such as 127.0.0.1:4222", listen)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("nats: --nats-listen %q: the port is not a number from 0 to 65535", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if host == "" {
		return "", 0, errors.New("nats: --nats-listen needs a host (127.0.0.1 keeps the server to this machine)")
	}
	return host, port, nil
}

// portFree says at once, in words, that the port to listen on is taken
// (by a NATS server already running, most often, or another relay). The
// server itself would only fail to become ready after its start timeout,
// with no reason given.
func portFree(host string, port int) error {
	if port == server.RANDOM_PORT {
		return nil
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("nats: --nats-listen %s: %w (if a NATS server already runs there, give --nats nats://%s to use it)", addr, err, addr)
	}
	return l.Close()
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hasUsers says whether a server configuration asks clients who they are.
func hasUsers(o *server.Options) bool {
	return len(o.Users) > 0 || len(o.Nkeys) > 0 || o.Authorization != "" || o.Username != "" ||
		len(o.TrustedOperators) > 0 || len(o.TrustedKeys) > 0
}

// slogLogger hands the server's log lines to the program's log.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Noticef(format string, v ...any) { l.log.Info(fmt.Sprintf(format, v...)) }
func (l slogLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l slogLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l slogLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l slogLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l slogLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
