package boardtest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// freePort is a port nothing listens on now. A server needs its port
// fixed before it starts so that a restart (and a cluster's routes) can
// name it.
var freePort = anyFreePort

func anyFreePort(t testing.TB) int {
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
//
// The ports are chosen before the servers start, since each server's
// routes name the others', so another process may take one in between (a
// busy machine opens ephemeral ports all the time). A cluster that loses
// that race is stopped and started again on new ports, a few times.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	const attempts = 4
	var err error
	for range attempts {
		var c *Cluster
		if c, err = tryCluster(t, n); err == nil {
			return c
		}
	}
	t.Fatalf("cluster of %d after %d attempts: %v", n, attempts, err)
	return nil
}

func tryCluster(t testing.TB, n int) (*Cluster, error) {
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
		if err := s.tryBoot(); err != nil {
			c.stop()
			return nil, err
		}
		c.Nodes = append(c.Nodes, s)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !c.hasLeader() {
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("the cluster elected no JetStream meta leader within 30s")
		}
		time.Sleep(25 * time.Millisecond)
	}
	for _, s := range c.Nodes {
		t.Cleanup(s.Stop)
	}
	return c, nil
}

// stop shuts down the nodes started so far.
func (c *Cluster) stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
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
