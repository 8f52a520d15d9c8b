package soak

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// TestRedisKilledMidRun kills the limits Redis under load and restores it:
// with failure mode Open every request is still served (marked degraded,
// counted per replica); with Closed the ones that reach a dead store get a
// 503 with Retry-After. After the restore, undegraded answers return.
// Opt-in (TOLLGATE_SOAK=1).
func TestRedisKilledMidRun(t *testing.T) {
	optIn(t)
	for _, mode := range []config.FailureMode{config.FailOpen, config.FailClosed} {
		t.Run(string(mode), func(t *testing.T) { redisChaos(t, mode) })
	}
}

func redisChaos(t *testing.T, mode config.FailureMode) {
	rd := testredis.Start(t)
	up := serve(t, mockUpstream(8, 2*time.Millisecond))
	k := newKeys(t)
	cfg := soakConfig(t, up, k, 5*time.Second)
	cfg.Policies = append(cfg.Policies, config.Policy{Name: "roomy", OnExceeded: config.ExceededReject,
		Limits: []config.Limit{{Window: config.D(time.Minute), Requests: 1 << 40, Tokens: 1 << 50}}})
	cfg.Consumers[0].Policies = []string{"roomy"}
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: mode,
		Redis: &config.Redis{Addresses: []string{rd.Addr}, Timeout: config.D(100 * time.Millisecond)}}
	_, url := newServer(t, cfg)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second}

	var phase atomic.Int32 // 0 healthy, 1 Redis down, 2 restored
	var served, degraded, unavailable, wrong atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000 && ctx.Err() == nil; i++ {
				stream := i%3 == 0
				status, hdr := once(ctx, client, url, k.free, stream)
				if ctx.Err() != nil {
					return
				}
				switch p := phase.Load(); {
				case status == http.StatusOK:
					served.Add(1)
					if hdr.Get(limits.HeaderDegraded) == "degraded" {
						degraded.Add(1)
					}
				case status == http.StatusServiceUnavailable && mode == config.FailClosed && p >= 1 && hdr.Get("Retry-After") != "":
					unavailable.Add(1)
				default:
					if wrong.Add(1) <= 5 {
						t.Errorf("phase %d: status %d (stream %t)", p, status, stream)
					}
				}
			}
		}()
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for range 300 { // bounded: 300 × 20ms
			if cond() || ctx.Err() != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !cond() {
			t.Fatalf("%s never happened (served %d, degraded %d, 503 %d)", what, served.Load(), degraded.Load(), unavailable.Load())
		}
	}
	wait("healthy answers", func() bool { return served.Load() >= 50 })
	if degraded.Load() != 0 {
		t.Errorf("%d degraded answers with Redis up", degraded.Load())
	}
	phase.Store(1)
	rd.Kill()
	if mode == config.FailOpen {
		wait("degraded answers", func() bool { return degraded.Load() >= 50 })
	} else {
		wait("503 answers", func() bool { return unavailable.Load() >= 50 })
	}
	rd.Restart()
	phase.Store(2)
	// Recovery: a probe after the circuit's backoff closes it again.
	wait("undegraded answers after the restore", func() bool {
		status, hdr := once(ctx, client, url, k.free, false)
		return status == http.StatusOK && hdr.Get(limits.HeaderDegraded) == ""
	})
	cancel()
	wg.Wait()
	t.Logf("%s: served %d (degraded %d), 503 %d", mode, served.Load(), degraded.Load(), unavailable.Load())
}

// once sends one request of model "ok" and returns its status (0 when it
// failed) and headers.
func once(ctx context.Context, client *http.Client, url, key string, stream bool) (int, http.Header) {
	code, hdr, _, err := send(ctx, client, url, key, "ok", stream, false)
	if err != nil {
		return 0, nil
	}
	return code, hdr
}
