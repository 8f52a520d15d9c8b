package limits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-dev/tollgate/internal/redispipe"
)

// SettleOp is one idempotent settlement: Counters are added (unchecked)
// only when none of Markers exists yet, and the markers are set in the
// same atomic step. Every key of one op shares a hash tag, so a Redis
// Cluster keeps the markers in the slot of the counters they guard.
type SettleOp struct {
	Counters []Counter
	// Markers name the settlements merged into this op, one key each.
	Markers []string
}

// SettleResult answers one SettleOp: Values (the counters after the add)
// when it was applied; otherwise nothing was written and Settled[i]
// tells whether Markers[i] was already settled.
type SettleResult struct {
	Values  []int64
	Settled []bool
}

// IdempotentAdder is a Store that can apply settlements at most once per
// marker, so a settlement whose answer was lost (a timeout, a failover)
// can be sent again without being charged twice.
type IdempotentAdder interface {
	// SettleBatch applies every op in one round trip per server; markers
	// live for ttl. res[i] and errs[i] answer ops[i]; err is set when the
	// whole batch failed.
	SettleBatch(ctx context.Context, ops []SettleOp, ttl time.Duration) (res []SettleResult, errs []error, err error)
}

// settleScript applies one SettleOp atomically.
//
// KEYS are the m markers, then the counters. ARGV[1] is m, ARGV[2] the
// markers' ttl in milliseconds, then four arguments per counter as in
// counterScript (field, amount, limit (unused), ttl in milliseconds).
// It returns {0, v1, ..., vn} when it added (the counters' values), or
// {1, s1, ..., sm} when some marker existed (si is 1 for those): then
// nothing was written.
var settleScript = redis.NewScript(addCounterLua + `
local m = tonumber(ARGV[1])
local seen = {}
local any = false
for i = 1, m do
  seen[i] = redis.call("EXISTS", KEYS[i])
  if seen[i] == 1 then any = true end
end
if any then
  table.insert(seen, 1, 1)
  return seen
end
for i = 1, m do
  redis.call("SET", KEYS[i], "1", "NX", "PX", ARGV[2])
end
local vals = {}
for i = m + 1, #KEYS do
  local b = (i - m - 1) * 4 + 3
  vals[#vals + 1] = addCounter(KEYS[i], ARGV[b], ARGV[b + 1], ARGV[b + 3])
end
table.insert(vals, 1, 0)
return vals
`)

// settleArgs are the keys and arguments of one settleScript call.
func settleArgs(op SettleOp, ttl time.Duration) ([]string, []any) {
	keys := make([]string, 0, len(op.Markers)+len(op.Counters))
	keys = append(keys, op.Markers...)
	args := make([]any, 0, 2+4*len(op.Counters))
	args = append(args, len(op.Markers), max(ttl.Milliseconds(), 1))
	for _, c := range op.Counters {
		keys = append(keys, c.Key)
		args = append(args, c.Field, c.Amount, 0, max(c.TTL.Milliseconds(), 1))
	}
	return keys, args
}

// SettleBatch implements IdempotentAdder: every op in one round trip per
// server (redispipe.Send; on a Cluster one pipeline per master, built by the
// store). Ops refused by a moving Cluster slot are sent again, alone,
// while the timeout lasts; those still refused then fail alone
// (errSlotMoving), not the batch. The batch fails as a whole only when
// every op failed and not all of them for a moving slot: the store is
// down.
func (r *Redis) SettleBatch(ctx context.Context, ops []SettleOp, ttl time.Duration) ([]SettleResult, []error, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, errs := make([]SettleResult, len(ops)), make([]error, len(ops))
	todo := make([]int, 0, len(ops))
	keys := make([]string, 0, len(ops))
	for i, op := range ops {
		if len(op.Counters) > 0 {
			todo = append(todo, i)
			keys = append(keys, op.Counters[0].Key)
		}
	}
	if len(todo) == 0 {
		return res, errs, nil
	}
	hash := settleScript.Hash()
	cmds := redispipe.Send(ctx, r.client, settleScript, keys, func(x int) *redis.Cmd {
		keys, args := settleArgs(ops[todo[x]], ttl)
		cmdArgs := make([]any, 0, 3+len(keys)+len(args))
		cmdArgs = append(cmdArgs, "evalsha", hash, len(keys))
		for _, k := range keys {
			cmdArgs = append(cmdArgs, k)
		}
		return redis.NewCmd(ctx, append(cmdArgs, args...)...)
	})
	var down error
	failed := 0
	for x, i := range todo {
		res[i], errs[i] = settleAnswer(cmds[x], ops[i])
		if errs[i] != nil {
			failed++
			if down == nil && !errors.Is(errs[i], errSlotMoving) {
				down = cmds[x].Err()
			}
		}
	}
	if failed == len(todo) && down != nil {
		return nil, nil, fmt.Errorf("redis limit store: settling a batch: %w", down)
	}
	return res, errs, nil
}

// settleAnswer reads one settleScript reply.
func settleAnswer(c *redis.Cmd, op SettleOp) (SettleResult, error) {
	raw, err := c.Int64Slice()
	if err != nil {
		return SettleResult{}, fmt.Errorf("redis limit store: %w", err)
	}
	switch {
	case len(raw) == len(op.Counters)+1 && raw[0] == 0:
		return SettleResult{Values: raw[1:]}, nil
	case len(raw) == len(op.Markers)+1 && raw[0] == 1:
		st := make([]bool, len(op.Markers))
		for i, v := range raw[1:] {
			st[i] = v == 1
		}
		return SettleResult{Settled: st}, nil
	}
	return SettleResult{}, fmt.Errorf("redis limit store: settle script returned %d values for %d counters and %d markers",
		len(raw), len(op.Counters), len(op.Markers))
}
