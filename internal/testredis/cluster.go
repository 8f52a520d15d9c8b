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

// ID is the node's cluster id (CLUSTER MYID).
func (s *Server) ID(t testing.TB) string {
	t.Helper()
	out, err := s.cli("cluster", "myid")
	if err != nil || strings.TrimSpace(out) == "" {
		t.Fatalf("testredis: cluster myid on %s: %q %v", s.Addr, out, err)
	}
	return strings.TrimSpace(out)
}

// KeySlot is the Cluster slot of key (CLUSTER KEYSLOT).
func (s *Server) KeySlot(t testing.TB, key string) int {
	t.Helper()
	return s.clusterInt(t, "keyslot", key)
}

// CountKeysInSlot is how many keys of slot the node holds.
func (s *Server) CountKeysInSlot(t testing.TB, slot int) int {
	t.Helper()
	return s.clusterInt(t, "countkeysinslot", fmt.Sprint(slot))
}

func (s *Server) clusterInt(t testing.TB, args ...string) int {
	t.Helper()
	out, err := s.cli(append([]string{"cluster"}, args...)...)
	var n int
	if err == nil {
		_, err = fmt.Sscan(out, &n)
	}
	if err != nil {
		t.Fatalf("testredis: cluster %s on %s: %q %v", strings.Join(args, " "), s.Addr, out, err)
	}
	return n
}

// Reshard moves slots slots from master from to master to with
// `redis-cli --cluster reshard`, as an operator would: per slot, SETSLOT
// IMPORTING and MIGRATING, MIGRATE of its keys in batches, then SETSLOT
// NODE, while clients keep running (they get ASK, TRYAGAIN and MOVED).
// redis-cli takes the lowest-numbered slots of from. fromID and toID are
// the nodes' IDs. It waits before and after until every node agrees on
// the slots (redis-cli --cluster check), so moves can follow one another;
// it may run off the test goroutine.
func (c *Cluster) Reshard(ctx context.Context, from, to *Server, fromID, toID string, slots int) error {
	if err := c.waitAgreed(ctx); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "redis-cli", "--cluster", "reshard", from.Addr,
		"--cluster-from", fromID, "--cluster-to", toID, "--cluster-slots", fmt.Sprint(slots),
		"--cluster-yes").CombinedOutput()
	if err != nil {
		return fmt.Errorf("testredis: redis-cli --cluster reshard: %w\n%s", err, out)
	}
	return c.waitAgreed(ctx)
}

// waitAgreed polls redis-cli --cluster check until it passes: every node
// agrees on the configuration, no slot is open, all are covered.
func (c *Cluster) waitAgreed(ctx context.Context) error {
	for {
		out, err := exec.CommandContext(ctx, "redis-cli", "--cluster", "check", c.Nodes[0].Addr).CombinedOutput()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testredis: the nodes did not agree on the cluster configuration: %w\n%s", ctx.Err(), out)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Cli runs one command on the node with redis-cli and returns its answer,
// failing the test when redis-cli fails or Redis answers an error.
func (s *Server) Cli(t testing.TB, args ...string) string {
	t.Helper()
	out, err := s.cli(args...)
	if err != nil || strings.HasPrefix(out, "ERR") || strings.HasPrefix(out, "(error)") {
		t.Fatalf("testredis: redis-cli %s on %s: %q %v", strings.Join(args, " "), s.Addr, out, err)
	}
	return strings.TrimSpace(out)
}
