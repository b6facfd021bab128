// Package natstest starts NATS servers with JetStream in the test's own
// process, on loopback: one server that can be restarted on the same port
// and store (so clients find it again, as after a real restart), one with
// users and permissions from a configuration text, and a cluster of three
// whose nodes can be shut down and brought back. Every server is shut
// down when the test ends.
package natstest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is one embedded NATS server.
type Server struct {
	t    testing.TB
	opts *server.Options
	srv  *server.Server
	// URL is where clients reach it; it stays the same across Restart.
	URL string
}

// Start starts a server on 127.0.0.1 with a port of its own and a fresh
// store.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, &server.Options{})
}

// StartWithConfig starts a server from a nats-server configuration text
// (users, permissions), on 127.0.0.1 with a port of its own and a fresh
// store, whatever the text says of those.
func StartWithConfig(t testing.TB, config string) *Server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats config: %v", err)
	}
	return start(t, opts)
}

// StartWithConfigFile is StartWithConfig for a file (a testdata example).
func StartWithConfigFile(t testing.TB, path string) *Server {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return StartWithConfig(t, string(b))
}

func start(t testing.TB, opts *server.Options) *Server {
	opts.ServerName = fmt.Sprintf("test-%d", time.Now().UnixNano())
	opts.Host = "127.0.0.1"
	opts.Port = freePort(t)
	opts.JetStream = true
	opts.StoreDir = t.TempDir()
	opts.NoSigs, opts.NoLog = true, true
	s := &Server{t: t, opts: opts, URL: fmt.Sprintf("nats://127.0.0.1:%d", opts.Port)}
	s.run()
	t.Cleanup(s.Shutdown)
	return s
}

func (s *Server) run() {
	s.t.Helper()
	srv, err := server.NewServer(s.opts.Clone())
	if err != nil {
		s.t.Fatalf("nats server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		s.t.Fatalf("nats server on %s did not start", s.URL)
	}
	s.srv = srv
}

// Server is the running server (nil while it is down).
func (s *Server) Server() *server.Server { return s.srv }

// Shutdown stops the server; clients start reconnecting.
func (s *Server) Shutdown() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

// Restart stops the server and starts it again on the same port with the
// same store, as after a crash and restart.
func (s *Server) Restart() {
	s.t.Helper()
	s.Shutdown()
	// The port was just released; the system may hold it a moment.
	for attempt := 0; ; attempt++ {
		srv, err := server.NewServer(s.opts.Clone())
		if err == nil {
			srv.Start()
			if srv.ReadyForConnections(10 * time.Second) {
				s.srv = srv
				return
			}
			srv.Shutdown()
		}
		if attempt == 50 {
			s.t.Fatalf("nats server on %s did not come back", s.URL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort is a port nothing listens on now. A server needs its port
// fixed before it starts so that a restart (and a cluster's routes) can
// name it.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Cluster is three servers in one JetStream cluster.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts a cluster of n servers on loopback and waits until
// it has a JetStream meta leader.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports, routes := make([]int, n), make([]int, n)
	var urls []string
	for i := range n {
		ports[i], routes[i] = freePort(t), freePort(t)
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", routes[i]))
	}
	c := &Cluster{}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1", Port: ports[i],
			JetStream: true, StoreDir: t.TempDir(),
			Cluster: server.ClusterOpts{Name: "ringside-test", Host: "127.0.0.1", Port: routes[i]},
			Routes:  server.RoutesFromStr(strings.Join(urls, ",")),
			NoSigs:  true, NoLog: true,
		}
		s := &Server{t: t, opts: opts, URL: fmt.Sprintf("nats://127.0.0.1:%d", ports[i])}
		s.run()
		t.Cleanup(s.Shutdown)
		c.Nodes = append(c.Nodes, s)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !c.hasLeader() {
		if time.Now().After(deadline) {
			t.Fatal("the cluster elected no JetStream meta leader within 30s")
		}
		time.Sleep(25 * time.Millisecond)
	}
	return c
}

func (c *Cluster) hasLeader() bool {
	for _, s := range c.Nodes {
		if s.srv != nil && s.srv.JetStreamIsLeader() {
			return true
		}
	}
	return false
}

// URLs is every node's client URL, comma-joined, as a client takes them.
func (c *Cluster) URLs() string {
	var urls []string
	for _, s := range c.Nodes {
		urls = append(urls, s.URL)
	}
	return strings.Join(urls, ",")
}
