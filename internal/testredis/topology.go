package testredis

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

// EachTopology runs check twice, as subtests: on one redis-server, and on
// a Redis Cluster of three masters with a replica each. dial returns a new
// client of that topology; each is closed at the subtest's cleanup. On the
// Cluster, every master must hold a key once check returns, so what check
// stored really spread over the slots (and its batches over the nodes).
func EachTopology(t *testing.T, check func(t *testing.T, dial func() redis.UniversalClient)) {
	t.Helper()
	run := func(t *testing.T, dial func() redis.UniversalClient) {
		check(t, func() redis.UniversalClient {
			c := dial()
			t.Cleanup(func() { _ = c.Close() })
			return c
		})
	}
	t.Run("one server", func(t *testing.T) {
		s := Start(t)
		run(t, func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: s.Addr}) })
	})
	t.Run("cluster", func(t *testing.T) {
		cl := StartCluster(t, 3, 1)
		run(t, func() redis.UniversalClient { return redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs()}) })
		for _, n := range cl.Nodes[:3] {
			if n.DBSize(t) == 0 {
				t.Errorf("master %s holds no key: what was stored did not spread over the cluster", n.Addr)
			}
		}
	})
}
