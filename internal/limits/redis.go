package limits

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/redispipe"
)

// counterScript checks and increments counters in one atomic step (one
// round trip; Redis runs a script with nothing interleaved).
//
// ARGV[1] is "r" (reserve: check every counter with a positive limit, add
// only if all fit) or "a" (add without checking). Then four arguments per
// key: field ("" for a plain key), amount, limit, ttl in milliseconds.
// It returns {failed, v1, ..., vn}: failed is 0 or the 1-based index of the
// first counter that did not fit; values are after the increment when all
// fitted, untouched otherwise (and 0 for unchecked counters, which a
// reservation does not read: usage fields make up most of a call).
var counterScript = redis.NewScript(addCounterLua + `
local n = #KEYS
local vals = {}
local failed = 0
if ARGV[1] == "r" then
  for i = 1, n do
    local b = (i - 1) * 4 + 1
    local f = ARGV[b + 1]
    local lim = tonumber(ARGV[b + 3])
    local cur = 0
    if lim > 0 then
      if f == "" then cur = redis.call("GET", KEYS[i]) else cur = redis.call("HGET", KEYS[i], f) end
      cur = tonumber(cur) or 0
    end
    vals[i] = cur
    if failed == 0 and lim > 0 and cur + tonumber(ARGV[b + 2]) > lim then failed = i end
  end
  if failed > 0 then
    table.insert(vals, 1, failed)
    return vals
  end
end
for i = 1, n do
  local b = (i - 1) * 4 + 1
  vals[i] = addCounter(KEYS[i], ARGV[b + 1], ARGV[b + 2], ARGV[b + 4])
end
table.insert(vals, 1, 0)
return vals
`)

// addCounterLua defines addCounter(key, field, amount, ttl), the one
// increment of a counter both scripts make (counterScript,
// settleScript): it adds amount to the plain key (field "") or to the
// hash field and returns the new value. The amount goes to Redis as the
// string it came as: a Lua number would be printed with an exponent
// beyond 1e14. A plain key's expiry is fixed (its window's end plus a
// grace), so it is set only when this increment created the key (the
// value is the amount): it was set with the first one otherwise. A hash
// is given ttl once per script run.
const addCounterLua = `
local expired = {}
local function addCounter(key, f, amount, ttl)
  if f == "" then
    local v = redis.call("INCRBY", key, amount)
    if v == tonumber(amount) then
      redis.call("PEXPIRE", key, ttl)
    end
    return v
  end
  local v = redis.call("HINCRBY", key, f, amount)
  if not expired[key] then
    redis.call("PEXPIRE", key, ttl)
    expired[key] = true
  end
  return v
end
`

// Redis is a Store in a standalone, Sentinel or Cluster Redis, shared by
// every replica of a gateway. Every call is bounded by a short timeout and
// is never retried: the engine's circuit decides what happens on failure.
//
// Calls wait for one of the pool's connections before their timeout
// starts (slots, as many as the pool has connections), so a burst of
// requests queueing behind one another on a healthy store is not taken
// for an outage: the timeout measures the store's answer, and the wait is
// bounded by the caller's context and by config.DefaultRedisQueueWait.
type Redis struct {
	client redis.UniversalClient
	// cluster is client on a Cluster: batches are pipelined per master
	// by the store (batch_redis.go).
	cluster *redis.ClusterClient
	timeout time.Duration
	slots   chan struct{}
}

// errStoreBusy is a call that found every connection busy for the whole
// queue wait. It is not an outage: the circuit stays closed.
var errStoreBusy = errors.New("redis limit store: every connection stayed busy")

// acquire waits for a connection slot: at once when one is free, else up
// to the queue wait or until ctx ends.
func (r *Redis) acquire(ctx context.Context) (func(), error) {
	release := func() { <-r.slots }
	select {
	case r.slots <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(config.DefaultRedisQueueWait)
	defer t.Stop()
	select {
	case r.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("redis limit store: waiting for a connection: %w", ctx.Err())
	case <-t.C:
		return nil, errStoreBusy
	}
}

// NewRedis connects lazily to the Redis rc describes: MasterName selects
// Sentinel, mode Cluster selects Cluster, otherwise one standalone address.
func NewRedis(rc *config.Redis) (*Redis, error) {
	if rc == nil || len(rc.Addresses) == 0 {
		return nil, errors.New("redis limit store: no address configured")
	}
	timeout := rc.Timeout.Or(config.DefaultRedisTimeout)
	opts := &redis.UniversalOptions{
		Addrs:         rc.Addresses,
		MasterName:    rc.MasterName,
		IsClusterMode: rc.Mode == config.RedisCluster,
		Username:      rc.Username,
		Password:      rc.Password,
		DB:            rc.DB,
		ClientName:    "tollgate-limits",
		// A new connection gets longer than a command: a burst that opens
		// the pool's connections at once on a busy host must not read as
		// an outage (a refused dial still fails at once).
		DialTimeout:           max(timeout, config.DefaultRedisDialTimeout),
		ReadTimeout:           timeout,
		WriteTimeout:          timeout,
		PoolSize:              10 * runtime.GOMAXPROCS(0), // go-redis's default, made explicit for slots
		PoolTimeout:           timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1, // no retries: a slow store must fail fast
		DialerRetries:         1,
		MaxRedirects:          3,
		// A Cluster client follows MOVED, ASK and TRYAGAIN without a pause
		// (its default of 10 ms and more per attempt outlasts the timeout);
		// a slot still moving is waited for by the store (slotmove.go).
		MinRetryBackoff: -1,
		DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	}
	if rc.TLS {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if rc.CACert != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(rc.CACert)) {
				return nil, errors.New("redis limit store: caCert holds no PEM certificate")
			}
			tc.RootCAs = pool
		}
		opts.TLSConfig = tc
	}
	pool := opts.PoolSize
	if opts.IsClusterMode {
		pool *= len(rc.Addresses) // one pool per node; the seeds stand for them
	}
	r := &Redis{client: redis.NewUniversalClient(opts), timeout: timeout, slots: make(chan struct{}, pool)}
	r.cluster, _ = r.client.(*redis.ClusterClient)
	return r, nil
}

// Client exposes the underlying client (tests read TTLs through it).
func (r *Redis) Client() redis.UniversalClient { return r.client }

// scriptArgs are the keys and arguments of one counterScript call.
func scriptArgs(mode string, cs []Counter) ([]string, []any) {
	keys := make([]string, len(cs))
	args := make([]any, 0, 1+4*len(cs))
	args = append(args, mode)
	for i, c := range cs {
		keys[i] = c.Key
		ttl := max(c.TTL.Milliseconds(), 1)
		args = append(args, c.Field, c.Amount, c.Limit, ttl)
	}
	return keys, args
}

func (r *Redis) run(ctx context.Context, mode string, cs []Counter) ([]int64, int, error) {
	if len(cs) == 0 {
		return nil, 0, nil
	}
	keys, args := scriptArgs(mode, cs)
	release, err := r.acquire(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var raw []int64
	for attempt := 0; ; attempt++ {
		raw, err = counterScript.Run(ctx, r.client, keys, args...).Int64Slice()
		if attempt > 0 && err != nil && redispipe.OutOfTime(ctx) {
			// Sent again for a moving slot, it ran out of time on the
			// way: still the slot, not the store down.
			return nil, 0, fmt.Errorf("%w: %w", errSlotMoving, err)
		}
		if err == nil || r.cluster == nil || !redispipe.SlotMoving(err) {
			break
		}
		if !redispipe.WaitSlotMove(ctx, attempt) {
			return nil, 0, fmt.Errorf("%w: %w", errSlotMoving, err)
		}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("redis limit store: %w", err)
	}
	if len(raw) != len(cs)+1 {
		return nil, 0, fmt.Errorf("redis limit store: script returned %d values for %d counters", len(raw), len(cs))
	}
	return raw[1:], int(raw[0]), nil
}

// Reserve implements Store in one round trip.
func (r *Redis) Reserve(ctx context.Context, cs []Counter) (Reservation, error) {
	vals, failed, err := r.run(ctx, "r", cs)
	if err != nil {
		return Reservation{}, err
	}
	if failed > 0 {
		return Reservation{Failed: failed - 1, Values: vals}, nil
	}
	return Reservation{OK: true, Values: vals}, nil
}

// Add implements Store in one round trip.
func (r *Redis) Add(ctx context.Context, cs []Counter) ([]int64, error) {
	vals, _, err := r.run(ctx, "a", cs)
	return vals, err
}

// Fields implements Store.
func (r *Redis) Fields(ctx context.Context, key string) (map[string]int64, error) {
	out, err := r.FieldsBatch(ctx, []string{key})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// FieldsBatch implements Store: one pipeline of HGETALLs per server
// (redispipe.Send).
func (r *Redis) FieldsBatch(ctx context.Context, keys []string) ([]map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout*time.Duration(1+len(keys)/usageBatchPerTimeout))
	defer cancel()
	cmds := redispipe.Send(ctx, r.client, nil, keys, func(i int) *redis.MapStringStringCmd {
		return redis.NewMapStringStringCmd(ctx, "hgetall", keys[i])
	})
	out := make([]map[string]int64, len(keys))
	for i, c := range cmds {
		m, err := c.Result()
		if err != nil {
			return nil, fmt.Errorf("redis limit store: reading usage: %w", err)
		}
		out[i] = make(map[string]int64, len(m))
		for k, v := range m {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("redis limit store: usage field %q is not an integer", k)
			}
			out[i][k] = n
		}
	}
	return out, nil
}

// Counters implements Store: one pipeline of GETs per server (redispipe.Send).
func (r *Redis) Counters(ctx context.Context, keys []string) ([]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout*time.Duration(1+len(keys)/usageBatchPerTimeout))
	defer cancel()
	cmds := redispipe.Send(ctx, r.client, nil, keys, func(i int) *redis.StringCmd {
		return redis.NewStringCmd(ctx, "get", keys[i])
	})
	out := make([]int64, len(keys))
	for i, c := range cmds {
		v, err := c.Int64()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if c.Err() != nil {
				return nil, fmt.Errorf("redis limit store: reading counters: %w", err)
			}
			return nil, fmt.Errorf("redis limit store: counter %d is not an integer: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// usageBatchPerTimeout is how many keys of a batch read share one store
// timeout: a page of 500 consumers gets five.
const usageBatchPerTimeout = 100

// Ping implements Store.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis limit store: ping: %w", err)
	}
	return nil
}

// Close implements Store.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("redis limit store: close: %w", err)
	}
	return nil
}
