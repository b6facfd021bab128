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
		s.boot()
		t.Cleanup(s.Stop)
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
