package limits

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"time"
)

const (
	localShards = 64
	// localSweepEvery is how often a shard drops its expired counters.
	localSweepEvery = 10 * time.Second
	// DefaultLocalMaxKeys bounds the Local store (about 100 bytes a key).
	DefaultLocalMaxKeys = 1 << 20
)

// Local is an in-process Store: exact for one replica. Counters live in a
// map split into mutex-guarded shards by hash tag, so one check (one
// consumer) locks one shard. Expired counters are dropped lazily, at most
// every few seconds per shard, with no background goroutine; the number of
// live keys is capped, so memory stays bounded.
type Local struct {
	shards      [localShards]localShard
	seed        maphash.Seed
	now         func() time.Time
	maxPerShard int
}

type localShard struct {
	mu        sync.Mutex
	m         map[string]*localEntry
	nextSweep int64
}

type localEntry struct {
	v   int64
	f   map[string]int64
	exp int64 // unix nanoseconds
}

// NewLocal makes a Local store holding at most maxKeys live keys (0 means
// DefaultLocalMaxKeys). now is the clock (nil means time.Now).
func NewLocal(maxKeys int, now func() time.Time) *Local {
	if maxKeys <= 0 {
		maxKeys = DefaultLocalMaxKeys
	}
	if now == nil {
		now = time.Now
	}
	l := &Local{seed: maphash.MakeSeed(), now: now, maxPerShard: max(1, maxKeys/localShards)}
	for i := range l.shards {
		l.shards[i].m = make(map[string]*localEntry)
	}
	return l
}

func (l *Local) shardOf(key string) int {
	return int(maphash.String(l.seed, hashTag(key)) % localShards)
}

// lock locks every shard the counters touch, in index order, and returns
// each counter's shard and the unlock function. Counters of one check
// usually share one hash tag, hence one shard.
func (l *Local) lock(cs []Counter) ([]*localShard, func()) {
	shards := make([]*localShard, len(cs))
	idx := make([]int, 0, 1)
	prev := -1
	for i, c := range cs {
		s := prev
		if i == 0 || cs[i-1].Key != c.Key { // usage fields share one key
			s = l.shardOf(c.Key)
		}
		prev = s
		shards[i] = &l.shards[s]
		if !slices.Contains(idx, s) {
			idx = append(idx, s)
		}
	}
	slices.Sort(idx)
	for _, i := range idx {
		l.shards[i].mu.Lock()
	}
	return shards, func() {
		for _, i := range idx {
			l.shards[i].mu.Unlock()
		}
	}
}

// value reads a counter; callers hold the shard lock.
func (sh *localShard) value(c Counter, now int64) int64 {
	e := sh.m[c.Key]
	if e == nil || e.exp <= now {
		return 0
	}
	if c.Field != "" {
		return e.f[c.Field]
	}
	return e.v
}

// add writes a counter; callers hold the shard lock.
func (sh *localShard) add(c Counter, now int64, maxKeys int) (int64, error) {
	if now >= sh.nextSweep {
		sh.sweep(now)
	}
	e := sh.m[c.Key]
	if e != nil && e.exp <= now {
		delete(sh.m, c.Key)
		e = nil
	}
	if e == nil {
		if len(sh.m) >= maxKeys {
			sh.sweep(now)
			if len(sh.m) >= maxKeys {
				return 0, ErrLocalFull
			}
		}
		e = &localEntry{}
		sh.m[c.Key] = e
	}
	e.exp = now + int64(c.TTL)
	if c.Field == "" {
		e.v = satAdd(e.v, c.Amount)
		return e.v, nil
	}
	if e.f == nil {
		e.f = make(map[string]int64, 8)
	}
	v := satAdd(e.f[c.Field], c.Amount)
	e.f[c.Field] = v
	return v, nil
}

func (sh *localShard) sweep(now int64) {
	for k, e := range sh.m {
		if e.exp <= now {
			delete(sh.m, k)
		}
	}
	sh.nextSweep = now + int64(localSweepEvery)
}

// Reserve implements Store.
func (l *Local) Reserve(ctx context.Context, cs []Counter) (Reservation, error) {
	if err := ctx.Err(); err != nil {
		return Reservation{}, err
	}
	now := l.now().UnixNano()
	shards, unlock := l.lock(cs)
	defer unlock()
	res := Reservation{OK: true, Values: make([]int64, len(cs))}
	for i, c := range cs {
		cur := shards[i].value(c, now)
		res.Values[i] = cur
		if res.OK && c.Limit > 0 && !fits(cur, c.Amount, c.Limit) {
			res.OK, res.Failed = false, i
		}
	}
	if !res.OK {
		return res, nil
	}
	for i, c := range cs {
		v, err := shards[i].add(c, now, l.maxPerShard)
		if err != nil {
			// Undo what this call already added: all or nothing.
			for j, d := range cs[:i] {
				d.Amount = -d.Amount
				_, _ = shards[j].add(d, now, l.maxPerShard)
			}
			return Reservation{}, err
		}
		res.Values[i] = v
	}
	return res, nil
}

// Add implements Store.
func (l *Local) Add(ctx context.Context, cs []Counter) ([]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := l.now().UnixNano()
	shards, unlock := l.lock(cs)
	defer unlock()
	out := make([]int64, len(cs))
	for i, c := range cs {
		v, err := shards[i].add(c, now, l.maxPerShard)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// FieldsBatch implements Store.
func (l *Local) FieldsBatch(ctx context.Context, keys []string) ([]map[string]int64, error) {
	out := make([]map[string]int64, len(keys))
	for i, k := range keys {
		f, err := l.Fields(ctx, k)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// Counters implements Store.
func (l *Local) Counters(ctx context.Context, keys []string) ([]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := l.now().UnixNano()
	out := make([]int64, len(keys))
	for i, k := range keys {
		sh := &l.shards[l.shardOf(k)]
		sh.mu.Lock()
		if e := sh.m[k]; e != nil && e.exp > now {
			out[i] = e.v
		}
		sh.mu.Unlock()
	}
	return out, nil
}

// Fields implements Store.
func (l *Local) Fields(ctx context.Context, key string) (map[string]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := l.now().UnixNano()
	sh := &l.shards[l.shardOf(key)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	out := map[string]int64{}
	if e := sh.m[key]; e != nil && e.exp > now {
		for k, v := range e.f {
			out[k] = v
		}
	}
	return out, nil
}

// Len returns the number of keys held, expired ones not yet swept included.
func (l *Local) Len() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += len(l.shards[i].m)
		l.shards[i].mu.Unlock()
	}
	return n
}

// Ping implements Store; a Local store always answers.
func (l *Local) Ping(context.Context) error { return nil }

// Close implements Store. A closed Local store keeps working, so settlements
// of requests still in flight after a reload are not lost.
func (l *Local) Close() error { return nil }
