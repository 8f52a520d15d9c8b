package testredis

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SentinelMaster is the master name the Sentinels of StartSentinel
// monitor.
const SentinelMaster = "tollgate"

// Sentinel is a master, its replica and three Sentinels, all real
// redis-server processes on 127.0.0.1.
type Sentinel struct {
	Master, Replica *Server
	Sentinels       []*Server
}

// Addrs are the Sentinels' host:port.
func (s *Sentinel) Addrs() []string {
	out := make([]string, len(s.Sentinels))
	for i, n := range s.Sentinels {
		out[i] = n.Addr
	}
	return out
}

// StartSentinel starts a master, a replica of it and three Sentinels
// (quorum 2, the master down after 1 s), and waits until every Sentinel
// knows the replica. Everything is killed at cleanup.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	st := &Sentinel{Master: Start(t)}
	st.Replica = Start(t, Options{ReplicaOf: st.Master.Addr})
	for range 3 {
		st.Sentinels = append(st.Sentinels, Start(t, Options{SentinelOf: st.Master.Addr}))
	}
	for _, sn := range st.Sentinels {
		waitFor(t, 30*time.Second, "Sentinel "+sn.Addr+" to see the replica", func() bool {
			out, err := sn.cli("sentinel", "replicas", SentinelMaster)
			return err == nil && strings.Contains(out, st.Replica.port())
		})
	}
	return st
}

// MasterAddr is the master the first Sentinel that answers names.
func (s *Sentinel) MasterAddr(t testing.TB) string {
	t.Helper()
	for _, sn := range s.Sentinels {
		out, err := sn.cli("sentinel", "get-master-addr-by-name", SentinelMaster)
		if f := strings.Fields(out); err == nil && len(f) == 2 {
			return f[0] + ":" + f[1]
		}
	}
	t.Fatal("testredis: no Sentinel names a master")
	return ""
}

// WaitReplicated blocks until the replica has every write of the master
// (WAIT 1), so a failover loses nothing. WAIT answers 0 while the replica
// is still connecting or syncing (slow on a busy machine), so it is asked
// again until the replica acknowledges, up to a minute.
func (s *Sentinel) WaitReplicated(t testing.TB) {
	t.Helper()
	waitFor(t, time.Minute, "the replica to acknowledge the master's writes (WAIT 1)", func() bool {
		out, err := s.Master.cli("wait", "1", "1000")
		return err == nil && strings.TrimSpace(out) == "1"
	})
}

func (s *Server) sentinelConf() (string, error) {
	h, p, ok := strings.Cut(s.opts.SentinelOf, ":")
	if !ok {
		return "", fmt.Errorf("testredis: SentinelOf %q: want host:port", s.opts.SentinelOf)
	}
	conf := filepath.Join(s.dir, "sentinel.conf")
	body := fmt.Sprintf("sentinel monitor %s %s %s 2\nsentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\nsentinel parallel-syncs %s 1\n",
		SentinelMaster, h, p, SentinelMaster, SentinelMaster, SentinelMaster)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return "", fmt.Errorf("testredis: writing %s: %w", conf, err)
	}
	return conf, nil
}

// cli runs redis-cli against the server.
func (s *Server) cli(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", append([]string{"-h", "127.0.0.1", "-p", s.port()}, args...)...).Output()
	return string(out), err
}

func waitFor(t testing.TB, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("testredis: waited %s for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
