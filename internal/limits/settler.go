package limits

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSettleQueue is the queue length WithAsyncSettle uses for 0 or less.
// A queued settlement holds its counters (about 1 KiB with a typical policy),
// so a full queue stays under about 8 MiB.
const DefaultSettleQueue = 8192

// settleBatch is the most settlements one flush sends in one pipeline.
const settleBatch = 256

// settleJob is one queued Add: a settlement (ticket set) or a usage-only
// admission (ticket nil). A job with only barrier set is a flush marker.
type settleJob struct {
	cs      []Counter
	t       *Ticket
	idx     []int
	barrier chan struct{}
	// id names the settlement (the settler's prefix and a sequence
	// number): its marker key makes a repeated write a no-op.
	id string
}

// settler writes settlements to the shared store in the background, so a
// request costs one store round trip (its reservation) instead of two. One
// goroutine drains a bounded queue and sends what it holds (up to
// settleBatch) in one pipelined call; a full queue makes the caller settle
// synchronously, and close flushes everything queued.
type settler struct {
	b     *backend
	queue chan settleJob
	done  chan struct{}

	mu     sync.RWMutex
	closed bool

	// idPrefix is random per settler, so settlement ids of gateway
	// replicas and restarts never meet; seq numbers its settlements.
	idPrefix string
	seq      atomic.Uint64
}

func newSettler(b *backend, size int) *settler {
	if size <= 0 {
		size = DefaultSettleQueue
	}
	var r [8]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read does not fail (it aborts the process instead)
	s := &settler{b: b, queue: make(chan settleJob, size), done: make(chan struct{}), idPrefix: hex.EncodeToString(r[:])}
	go s.loop()
	return s
}

// enqueue queues j; false means the caller must write it itself (the
// queue is full or closed).
func (s *settler) enqueue(j settleJob) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	j.id = s.idPrefix + "-" + strconv.FormatUint(s.seq.Add(1), 36)
	select {
	case s.queue <- j:
		s.b.m.settlements.WithLabelValues("queued").Inc()
		return true
	default:
		s.b.m.settlements.WithLabelValues("queue_full").Inc()
		return false
	}
}

// flush waits until everything queued before the call has been written
// (or dropped), or ctx ends.
func (s *settler) flush(ctx context.Context) error {
	done := make(chan struct{})
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil
	}
	select {
	case s.queue <- settleJob{barrier: done}:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return fmt.Errorf("limits: flushing settlements: %w", ctx.Err())
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("limits: flushing settlements: %w", ctx.Err())
	}
}

// close stops accepting settlements and writes every queued one; it
// returns once the queue is empty.
func (s *settler) close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	<-s.done
}

func (s *settler) loop() {
	defer close(s.done)
	batch := make([]settleJob, 0, settleBatch)
	for j := range s.queue {
		batch = append(batch[:0], j)
	fill:
		for len(batch) < settleBatch {
			select {
			case j, ok := <-s.queue:
				if !ok {
					break fill
				}
				batch = append(batch, j)
			default:
				break fill
			}
		}
		s.write(batch)
		clear(batch)
	}
}

// write sends a batch's settlements through the store's circuit, then
// releases its barriers. Settlements of one consumer (one hash tag) are
// merged first — amounts summed per counter — so a batch costs one script
// call per consumer rather than per request. On a store that settles
// idempotently (IdempotentAdder: Redis), each settlement carries a marker
// key by its id, and one that failed (a timeout, the store down, a
// failover) is sent again up to settleAttempts times: one whose answer was
// lost after it was applied finds its marker and is not charged twice.
// Settlements that still could not be written are counted as dropped:
// their reservations stand at the estimate.
func (s *settler) write(batch []settleJob) {
	pending := make([]int, 0, len(batch))
	for i, j := range batch {
		if len(j.cs) > 0 {
			pending = append(pending, i)
		}
	}
	written, dropped := 0, 0
	_, idem := s.b.primary.(IdempotentAdder)
	for attempt := 1; len(pending) > 0; attempt++ {
		jobs := make([]settleJob, len(pending))
		for x, i := range pending {
			jobs[x] = batch[i]
		}
		groups, where, _ := merge(jobs)
		ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
		out, err := s.send(ctx, groups)
		cancel()
		var again []int
		for x, i := range pending {
			j, g := batch[i], where[x]
			o := outcome{}
			if err == nil {
				o = out[g]
			}
			switch {
			case o.vals != nil:
				written++
				if j.t != nil {
					own := make([]int64, len(j.cs))
					for y, c := range j.cs {
						own[y] = o.vals[groups[g].pos[counterID{c.Key, c.Field}]]
					}
					j.t.apply(j.idx, own)
				}
			case o.settled != nil && settledBefore(groups[g], x, o.settled):
				written++ // an earlier attempt applied it
			case o.settled != nil:
				again = append(again, i) // merged with one already applied: alone next time
			default:
				again = append(again, i)
			}
		}
		pending = again
		if len(pending) == 0 || !idem || attempt >= settleAttempts || !s.pause(attempt) {
			dropped += len(pending)
			break
		}
		s.b.m.settlements.WithLabelValues("retried").Add(float64(len(pending)))
	}
	if written > 0 {
		s.b.m.settlements.WithLabelValues("written").Add(float64(written))
	}
	if dropped > 0 {
		s.b.m.settlements.WithLabelValues("dropped").Add(float64(dropped))
	}
	for _, j := range batch {
		if j.barrier != nil {
			close(j.barrier)
		}
	}
}

// settledBefore reports whether job x of group g was applied by an
// earlier attempt (its marker was there).
func settledBefore(g *mergedAdd, x int, settled []bool) bool {
	k, ok := g.mark[x]
	return ok && k < len(settled) && settled[k]
}

// settleAttempts bounds how often one settlement is sent; the waits
// between attempts (settleRetryWait, doubling) span about 3.5 s, the time
// a Sentinel failover takes in TestRedisSentinelFailover.
const (
	settleAttempts  = 5
	settleRetryWait = 250 * time.Millisecond
)

// settledTTL is how long a settlement's marker lives: far longer than
// its attempts span, short enough that markers stay a small share of the
// store (one short key per settlement for this long).
const settledTTL = time.Minute

// pause waits before attempt+1; false when the settler is closing (its
// last batch gets no retries, so shutdown is not delayed).
func (s *settler) pause(attempt int) bool {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return false
	}
	time.Sleep(settleRetryWait << (attempt - 1))
	return true
}

// outcome is what one merged group's write gave: vals when applied;
// settled (by marker) when some marker was already there and nothing was
// written; neither when it failed.
type outcome struct {
	vals    []int64
	settled []bool
}

type counterID struct{ key, field string }

// mergedAdd is one hash tag's settlements summed per counter.
type mergedAdd struct {
	cs  []Counter
	pos map[counterID]int
	// markers are the merged settlements' marker keys; mark[i] is job i's
	// index in them (jobs of other groups are absent).
	markers []string
	mark    map[int]int
}

// merge groups a batch's jobs by hash tag and sums their amounts per
// counter (keeping the longest TTL). where[i] is job i's group; n counts
// the jobs with counters.
func merge(batch []settleJob) ([]*mergedAdd, []int, int) {
	var groups []*mergedAdd
	byTag := map[string]int{}
	where := make([]int, len(batch))
	n := 0
	for i, j := range batch {
		if len(j.cs) == 0 {
			where[i] = -1
			continue
		}
		n++
		tag := hashTag(j.cs[0].Key)
		g, ok := byTag[tag]
		if !ok {
			g = len(groups)
			byTag[tag] = g
			groups = append(groups, &mergedAdd{pos: map[counterID]int{}, mark: map[int]int{}})
		}
		where[i] = g
		m := groups[g]
		if j.id != "" {
			m.mark[i] = len(m.markers)
			m.markers = append(m.markers, markerKey(j.cs[0].Key, j.id))
		}
		for _, c := range j.cs {
			id := counterID{c.Key, c.Field}
			if x, ok := m.pos[id]; ok {
				m.cs[x].Amount += c.Amount
				m.cs[x].TTL = max(m.cs[x].TTL, c.TTL)
				continue
			}
			m.pos[id] = len(m.cs)
			c.Limit = 0
			m.cs = append(m.cs, c)
		}
	}
	return groups, where, n
}

// errCircuitOpen is a flush skipped because the shared store is known down.
var errCircuitOpen = errors.New("limits: shared limit store unavailable")

func (s *settler) send(ctx context.Context, groups []*mergedAdd) ([]outcome, error) {
	out := make([]outcome, len(groups))
	used, err := s.b.call(ctx, "settle", func(st Store) error {
		if ia, ok := st.(IdempotentAdder); ok {
			ops := make([]SettleOp, len(groups))
			for i, g := range groups {
				ops[i] = SettleOp{Counters: g.cs, Markers: g.markers}
			}
			res, errs, err := ia.SettleBatch(ctx, ops, settledTTL)
			if err != nil {
				return err
			}
			for i := range groups {
				switch {
				case errs[i] == nil:
					out[i] = outcome{vals: res[i].Values, settled: res[i].Settled}
				case errors.Is(errs[i], errSlotMoving):
					// Held by a Cluster slot being moved: counted, retried,
					// and the circuit stays closed (backend.call).
					s.b.m.storeErrors.WithLabelValues("settle_slot_moving").Inc()
				}
			}
			return nil
		}
		// A store without idempotent batches (the local one) is
		// settled one Add at a time.
		for i, g := range groups {
			cs := g.cs
			v, err := st.Add(ctx, cs)
			if err != nil && i == 0 {
				return err // the store is down: do not try every job
			}
			if err == nil && len(v) == len(cs) {
				out[i].vals = v
			}
		}
		return nil
	})
	if err == nil && !used {
		err = errCircuitOpen
	}
	return out, err
}

// markerKey is the key marking settlement id as applied: in the hash tag
// of key (a counter of the settlement), so a Cluster keeps it in their
// slot and one script can set it with them.
func markerKey(key, id string) string {
	i := strings.IndexByte(key, '{')
	tag := hashTag(key)
	if i < 0 || tag == key {
		return "{" + key + "}:settled:" + id
	}
	return key[:i] + "{" + tag + "}:settled:" + id
}

// settleWait bounds how long Usage waits for this replica's queued
// settlements before it reads the store.
const settleWait = 2 * time.Second
