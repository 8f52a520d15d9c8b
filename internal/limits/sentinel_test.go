package limits

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// On Sentinel (a master, a replica, three Sentinels), the master killed
// after its writes reached the replica: while the failover runs a
// FailClosed gateway admits nothing, it follows the new master without a
// restart, and the limit is exact after it (the writes before the kill
// were kept: nothing lost, nothing charged twice).
func TestRedisSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five redis-server processes and waits for a failover")
	}
	st := testredis.StartSentinel(t)
	const limit = 10
	cfg := testConfig(limitPolicy("std", lim(time.Hour, limit, 0)))
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
		Redis: &config.Redis{Mode: config.RedisSentinel, Addresses: st.Addrs(), MasterName: testredis.SentinelMaster, Timeout: config.D(time.Second)}}
	clk := testclock.New(t0) // 10:20:30: the loop below advances it by at most a minute
	e := newEngine(t, cfg, clk, WithBackoff(50*time.Millisecond))
	ctx := context.Background()
	admit := func() (bool, string) {
		tk, d, err := e.Admit(ctx, call("gpt-4o", 5, 5))
		switch {
		case err != nil:
			return false, err.Error()
		case tk != nil:
			settle(t, tk, 5, 5, 0)
			return true, ""
		default:
			return false, d.Code
		}
	}
	for range 4 {
		if ok, why := admit(); !ok {
			t.Fatalf("healthy: refused: %s", why)
		}
	}
	st.WaitReplicated(t)
	st.Master.Kill()

	// Until the failover, nothing is admitted (FailClosed); then the
	// requests are admitted again, on the promoted replica.
	admitted, refused := 4, 0
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, why := admit()
		if ok {
			admitted++
			break
		}
		if why == "rate_limit_exceeded" {
			t.Fatalf("refused as over the limit during the failover, with %d of %d used", admitted, limit)
		}
		refused++
		if time.Now().After(deadline) {
			t.Fatalf("no request admitted within 60 s of the master's death (%d refused: %s)", refused, why)
		}
		time.Sleep(100 * time.Millisecond)
		clk.Advance(100 * time.Millisecond) // past the circuit's backoff
	}
	// The client follows the first Sentinel that announces the new master;
	// the one asked here may take a moment more to agree.
	for got, until := st.MasterAddr(t), time.Now().Add(10*time.Second); got != st.Replica.Addr; got = st.MasterAddr(t) {
		if time.Now().After(until) {
			t.Fatalf("the Sentinels name %s as master, want the replica %s", got, st.Replica.Addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		ok, why := admit()
		if !ok {
			if why != "rate_limit_exceeded" {
				t.Fatalf("after the failover: refused with %s", why)
			}
			break
		}
		admitted++
		if admitted > limit+1 {
			break
		}
	}
	if admitted != limit {
		t.Errorf("%d admitted in all, want exactly %d: the failover lost or doubled a charge", admitted, limit)
	}
	sum, err := e.Usage(ctx, "team")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Requests != limit || sum.InputTokens != 5*limit {
		t.Errorf("usage after the failover: %+v, want %d requests", sum, limit)
	}
	t.Logf("failover: %d requests refused (FailClosed) before the promoted replica answered", refused)
}
