// Package boardtest publishes boards on NATS by hand, the way a relay
// does, for the tests of the console provider and of the program: an
// embedded NATS server on loopback (Server), and a Board that writes the
// record, the status, the lease and the calls and serves the action
// subjects with answers the test chooses.
package boardtest

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Server is a NATS server with JetStream in the test's process, on
// 127.0.0.1, keeping its streams in a directory of the test's. It is shut
// down when the test ends.
type Server struct {
	t    testing.TB
	opts *server.Options
	srv  *server.Server
	// URL is where clients reach it; it stays the same across Restart.
	URL string
}

// Start starts a server with no users.
func Start(t testing.TB) *Server {
	return start(t, &server.Options{})
}

// StartConfig starts a server from a nats-server configuration file
// (users and permissions); its listen address and store are the test's.
func StartConfig(t testing.TB, path string) *Server {
	t.Helper()
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats config %s: %v", path, err)
	}
	return start(t, opts)
}

func start(t testing.TB, opts *server.Options) *Server {
	t.Helper()
	opts.ServerName = "boardtest"
	opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	opts.JetStream, opts.StoreDir = true, t.TempDir()
	opts.NoSigs, opts.NoLog = true, true
	s := &Server{t: t, opts: opts}
	s.boot()
	// Later starts come back on the same port, so clients find it again.
	s.opts.Port = s.srv.Addr().(*net.TCPAddr).Port
	s.URL = s.srv.ClientURL()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) boot() {
	s.t.Helper()
	if err := s.tryBoot(); err != nil {
		s.t.Fatal(err)
	}
}

// readyWithin is how long a server may take to open its listeners.
const readyWithin = 10 * time.Second

// tryBoot starts the server from its options. A listener that cannot open
// (its port taken since it was chosen) is an error that names the port:
// at once when the port is seen taken before the start, else once the
// server has not come up within readyWithin.
func (s *Server) tryBoot() error {
	if taken := s.portsTaken(); taken != "" {
		return fmt.Errorf("nats server %s not started%s", s.opts.ServerName, taken)
	}
	srv, err := server.NewServer(s.opts.Clone())
	if err != nil {
		return fmt.Errorf("nats server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(readyWithin) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return fmt.Errorf("nats server %s not ready within %s%s", s.opts.ServerName, readyWithin, s.portsTaken())
	}
	s.srv = srv
	return nil
}

// portsTaken names the server's fixed ports that something else now
// holds, the usual reason a server does not come up.
func (s *Server) portsTaken() string {
	var taken []string
	for _, port := range []int{s.opts.Port, s.opts.Cluster.Port} {
		if port <= 0 {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			taken = append(taken, strconv.Itoa(port))
			continue
		}
		l.Close()
	}
	if len(taken) == 0 {
		return ""
	}
	return ": port " + strings.Join(taken, ", ") + " taken"
}

// Stop shuts the server down (again is nothing).
func (s *Server) Stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

// Restart stops the server and starts it again on the same port and
// store: clients reconnect and find the same buckets.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.boot()
}

// Connect is a client connection for the test (as user with password
// when user is not empty), closed when the test ends. It reconnects for
// ever, as the relay's does.
func (s *Server) Connect(user, password string) *nats.Conn {
	s.t.Helper()
	opts := []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(50 * time.Millisecond),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})}
	if user != "" {
		opts = append(opts, nats.UserInfo(user, password))
	}
	nc, err := nats.Connect(s.URL, opts...)
	if err != nil {
		s.t.Fatalf("connect to %s: %v", s.URL, err)
	}
	s.t.Cleanup(nc.Close)
	return nc
}

// Offline stops the server, runs it on another port with the same store
// while f writes there (clients of the usual URL cannot reach it: for them
// the server is down), then brings it back on its usual port. What f
// changes happened while they were away.
func (s *Server) Offline(f func(url string)) {
	s.t.Helper()
	s.Stop()
	usual := s.opts.Port
	s.opts.Port = server.RANDOM_PORT
	s.boot()
	f(s.srv.ClientURL())
	s.Stop()
	s.opts.Port = usual
	s.boot()
}
