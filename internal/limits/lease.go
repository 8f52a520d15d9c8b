package limits

import (
	"context"
	"sync"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Lease enforcement (limits.enforcement: Lease) takes the shared store's
// round trip off most requests. When a request needs a checked counter
// this replica holds no lease for (or too little), its reservation in the
// store asks for the request's amount plus a lease of 1/LeaseDivisor of
// that counter's limit, all or nothing like any reservation. Later
// requests spend the lease here, with no round trip, until it runs short;
// what is left of a lease unused for leaseIdle is given back to the store.
// Settlements (actual minus estimate) go to the store as in Exact mode.
//
// The bound: a lease is granted only when it fits under the limit, so the
// estimates admitted across replicas never exceed a limit, exactly as in
// Exact mode; settlements correct both modes alike. What Lease gives up is
// the other direction: while a replica holds a lease, at most
// limit/LeaseDivisor of every checked counter per replica (plus what its
// last request left of the previous lease) is reserved but not yet spent,
// so a request to another replica can be refused up to that much early
// (with R replicas, R × limit/LeaseDivisor), and a replica that dies with
// a lease leaves it counted until the window ends. A refusal of a request
// that asked for a lease is retried once exactly, so a request that fits
// the store's remaining room is never refused for its lease.

// leaseIdle is how long an unused lease is held before it is given back.
const leaseIdle = 2 * time.Second

// leaseGiveBackTimeout bounds giving back the leases of one sweep.
const leaseGiveBackTimeout = time.Second

type lease struct {
	left      int64   // reserved in the store, not yet spent by this replica
	value     int64   // the counter in the store after the last grant
	key       Counter // Key, Field and TTL, to give it back
	used      time.Time
	refilling bool // a reservation asking for more is under way
}

// leases are one backend's (one replica's) leases, shared by the engines
// a reload builds.
type leases struct {
	b    *backend
	mu   sync.Mutex
	m    map[counterID]*lease
	stop chan struct{}
	done chan struct{}
}

func newLeases(b *backend) *leases {
	l := &leases{b: b, m: map[counterID]*lease{}, stop: make(chan struct{}), done: make(chan struct{})}
	go l.loop()
	return l
}

// leaseSize is the lease one reservation of c asks for on top of its amount.
func leaseSize(c Counter) int64 { return c.Limit / config.LeaseDivisor }

// spend admits cs from the leases when every checked counter has enough
// left: it returns the counters' values as this replica sees them. Else
// it returns nil and, for the counters to refill, the lease to ask for on
// top (marked refilling, so one reservation at a time asks for each).
func (l *leases) spend(cs []Counter, now time.Time) (vals []int64, grant []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	short := false
	for _, c := range cs {
		if c.Limit <= 0 {
			continue
		}
		le := l.m[counterID{c.Key, c.Field}]
		if le == nil || le.left < c.Amount {
			short = true
			break
		}
	}
	if !short {
		vals = make([]int64, len(cs))
		for i, c := range cs {
			if c.Limit <= 0 {
				vals[i] = c.Amount
				continue
			}
			le := l.m[counterID{c.Key, c.Field}]
			le.left -= c.Amount
			le.used = now
			vals[i] = le.value - le.left
		}
		return vals, nil
	}
	for i, c := range cs {
		if c.Limit <= 0 {
			continue
		}
		n := leaseSize(c)
		if n <= 0 {
			continue // a limit too small to share out: reserved exactly
		}
		id := counterID{c.Key, c.Field}
		le := l.m[id]
		if le == nil {
			le = &lease{key: Counter{Key: c.Key, Field: c.Field, TTL: c.TTL}}
			l.m[id] = le
		}
		if le.refilling || le.left >= c.Amount {
			continue
		}
		if grant == nil {
			grant = make([]int64, len(cs))
		}
		grant[i] = n
		le.refilling = true
	}
	return nil, grant
}

// granted ends the reservations spend asked for: when ok, the grants are
// added to the leases and vals (the store's values after it) recorded.
func (l *leases) granted(cs []Counter, grant, vals []int64, ok bool, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, g := range grant {
		if g == 0 {
			continue
		}
		le := l.m[counterID{cs[i].Key, cs[i].Field}]
		if le == nil {
			continue
		}
		le.refilling = false
		if ok && i < len(vals) {
			le.left += g
			le.value = vals[i]
			le.key.TTL = cs[i].TTL
			le.used = now
		}
	}
}

// withGrant is cs with each grant added to its counter's amount.
func withGrant(cs []Counter, grant []int64) []Counter {
	out := make([]Counter, len(cs))
	for i, c := range cs {
		c.Amount += grant[i]
		out[i] = c
	}
	return out
}

func (l *leases) loop() {
	defer close(l.done)
	t := time.NewTicker(leaseIdle / 2)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			l.giveBack(func(*lease) bool { return true })
			return
		case <-t.C:
			now := l.b.now()
			l.giveBack(func(le *lease) bool { return now.Sub(le.used) >= leaseIdle })
		}
	}
}

// giveBack returns the unspent part of every lease idle says to drop, in
// one write per hash tag. A lease whose give-back fails stays counted in
// the store until its window ends (the safe direction).
func (l *leases) giveBack(idle func(*lease) bool) {
	l.mu.Lock()
	var back []Counter
	for id, le := range l.m {
		if le.refilling || !idle(le) {
			continue
		}
		if le.left > 0 {
			c := le.key
			c.Amount = -le.left
			back = append(back, c)
		}
		delete(l.m, id)
	}
	l.mu.Unlock()
	if len(back) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), leaseGiveBackTimeout)
	defer cancel()
	_, err := l.b.call(ctx, "lease_return", func(s Store) error {
		_, err := addByTag(ctx, s, back)
		return err
	})
	if err != nil {
		l.b.m.storeErrors.WithLabelValues("lease_return").Inc()
	}
}

// close gives every lease back and stops the sweeper.
func (l *leases) close() {
	close(l.stop)
	<-l.done
}

// admitLeased admits from this replica's leases, or reserves with a lease
// on top. It returns nil when the caller should reserve exactly: the
// store is failing or refused the request with its lease, or no counter
// of the request is worth a lease.
func (e *Engine) admitLeased(ctx context.Context, model string, cs []Counter, ms []meta, est estimate) *Ticket {
	L := e.b.leases
	now := e.now()
	vals, grant := L.spend(cs, now)
	if vals != nil {
		e.writeUsage(ctx, cs)
		return &Ticket{e: e, store: e.b.primary, model: model, counters: cs, metas: ms, values: vals, est: est}
	}
	if grant == nil {
		return nil
	}
	var res Reservation
	used, err := e.b.call(ctx, "reserve", func(s Store) error {
		var err error
		res, err = reserveByTag(ctx, s, withGrant(cs, grant))
		return err
	})
	ok := used && err == nil && res.OK
	L.granted(cs, grant, res.Values, ok, now)
	if !ok {
		return nil
	}
	// The values, as the store sees them, include the grants.
	return &Ticket{e: e, store: e.b.primary, model: model, counters: cs, metas: ms, values: res.Values, est: est}
}

// writeUsage writes the unchecked counters of a request admitted from its
// leases (its usage totals): through the background queue, or at once
// when the queue is full or absent. A failed write is counted like a
// dropped settlement: the request was admitted by its leases.
func (e *Engine) writeUsage(ctx context.Context, cs []Counter) {
	var un []Counter
	for _, c := range cs {
		if c.Limit <= 0 && c.Amount != 0 {
			un = append(un, c)
		}
	}
	if len(un) == 0 {
		return
	}
	for _, g := range groupsOf(un) {
		if e.b.settler != nil && e.b.settler.enqueue(settleJob{cs: g}) {
			continue
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		used, err := e.b.call(sctx, "settle", func(s Store) error {
			_, err := s.Add(sctx, g)
			return err
		})
		cancel()
		if !used || err != nil {
			e.m.settlements.WithLabelValues("dropped").Inc()
		}
	}
}

// groupsOf splits counters by hash tag (one settler job each).
func groupsOf(cs []Counter) [][]Counter {
	groups := byTag(cs)
	if groups == nil {
		return [][]Counter{cs}
	}
	out := make([][]Counter, len(groups))
	for i, g := range groups {
		out[i] = g.cs
	}
	return out
}
