package testredis

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// clusterTimeout bounds creating a cluster and waiting for every node to
// report it healthy.
const clusterTimeout = 60 * time.Second

// Cluster is a Redis Cluster of real redis-server processes on 127.0.0.1,
// made with `redis-cli --cluster create` as an operator would.
type Cluster struct {
	// Nodes are the masters first, then their replicas.
	Nodes []*Server
}

// Addrs are every node's host:port (seeds for a cluster client).
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr
	}
	return out
}

// StartCluster starts masters×(1+replicas) nodes, joins them with
// redis-cli --cluster create --cluster-replicas replicas (every slot
// assigned), and waits until each node reports cluster_state:ok. The
// nodes are killed at cleanup.
func StartCluster(t testing.TB, masters, replicas int) *Cluster {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatalf("redis-cli is not installed (needed for a Redis Cluster): run hack/install-redis.sh")
	}
	c := &Cluster{}
	for range masters * (1 + replicas) {
		c.Nodes = append(c.Nodes, Start(t, Options{Cluster: true}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", fmt.Sprint(replicas), "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("testredis: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range c.Nodes {
		for {
			out, err := exec.CommandContext(ctx, cli, "-h", "127.0.0.1", "-p", n.port(), "cluster", "info").Output()
			if err == nil && strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("testredis: node %s did not report cluster_state:ok within %s: %v %s", n.Addr, clusterTimeout, err, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return c
}

func (s *Server) port() string {
	_, p, _ := strings.Cut(s.Addr, ":")
	return p
}

// DBSize is the number of keys the node holds (DBSIZE).
func (s *Server) DBSize(t testing.TB) int {
	t.Helper()
	out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", s.port(), "dbsize").Output()
	if err != nil {
		t.Fatalf("testredis: dbsize on %s: %v", s.Addr, err)
	}
	var n int
	if _, err := fmt.Sscan(string(out), &n); err != nil {
		t.Fatalf("testredis: dbsize on %s: %q", s.Addr, out)
	}
	return n
}
