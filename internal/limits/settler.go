package limits

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultSettleQueue is the queue length WithAsyncSettle uses for 0 or less.
// A queued settlement holds its counters (about 1 KiB with a typical policy),
// so a full queue stays under about 8 MiB.
const DefaultSettleQueue = 8192

// settleBatch is the most settlements one flush sends in one pipeline.
const settleBatch = 256

// BatchAdder is a Store that can run many Add calls in one round trip.
// Redis implements it with a pipeline; a Store without it is flushed one
// Add at a time.
type BatchAdder interface {
	// AddBatch runs every Add of batch; vals[i] and errs[i] answer
	// batch[i]. err is set when the whole batch failed.
	AddBatch(ctx context.Context, batch [][]Counter) (vals [][]int64, errs []error, err error)
}

// settleJob is one queued Add: a settlement (ticket set) or a usage-only
// admission (ticket nil). A job with only barrier set is a flush marker.
type settleJob struct {
	cs      []Counter
	t       *Ticket
	idx     []int
	barrier chan struct{}
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
}

func newSettler(b *backend, size int) *settler {
	if size <= 0 {
		size = DefaultSettleQueue
	}
	s := &settler{b: b, queue: make(chan settleJob, size), done: make(chan struct{})}
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
// call per consumer rather than per request. Settlements that could not be
// written are counted as dropped: their reservations stand at the
// estimate.
func (s *settler) write(batch []settleJob) {
	groups, where, n := merge(batch)
	if n > 0 {
		work := make([][]Counter, len(groups))
		for i, g := range groups {
			work[i] = g.cs
		}
		ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
		vals, errs, err := s.send(ctx, work)
		cancel()
		dropped := 0
		for i, j := range batch {
			g := where[i]
			if g < 0 {
				continue
			}
			if err != nil || errs[g] != nil || len(vals[g]) != len(groups[g].cs) {
				dropped++
				continue
			}
			if j.t != nil {
				own := make([]int64, len(j.cs))
				for x, c := range j.cs {
					own[x] = vals[g][groups[g].pos[counterID{c.Key, c.Field}]]
				}
				j.t.apply(j.idx, own)
			}
		}
		if n-dropped > 0 {
			s.b.m.settlements.WithLabelValues("written").Add(float64(n - dropped))
		}
		if dropped > 0 {
			s.b.m.settlements.WithLabelValues("dropped").Add(float64(dropped))
		}
	}
	for _, j := range batch {
		if j.barrier != nil {
			close(j.barrier)
		}
	}
}

type counterID struct{ key, field string }

// mergedAdd is one hash tag's settlements summed per counter.
type mergedAdd struct {
	cs  []Counter
	pos map[counterID]int
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
			groups = append(groups, &mergedAdd{pos: map[counterID]int{}})
		}
		where[i] = g
		m := groups[g]
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

func (s *settler) send(ctx context.Context, work [][]Counter) ([][]int64, []error, error) {
	var (
		vals [][]int64
		errs []error
	)
	used, err := s.b.call(ctx, "settle", func(st Store) error {
		if ba, ok := st.(BatchAdder); ok {
			var err error
			vals, errs, err = ba.AddBatch(ctx, work)
			return err
		}
		vals, errs = make([][]int64, len(work)), make([]error, len(work))
		for i, cs := range work {
			vals[i], errs[i] = st.Add(ctx, cs)
			if errs[i] != nil && i == 0 {
				return errs[i] // the store is down: do not try every job
			}
		}
		return nil
	})
	if err == nil && !used {
		err = errCircuitOpen
	}
	return vals, errs, err
}

// settleWait bounds how long Usage waits for this replica's queued
// settlements before it reads the store.
const settleWait = 2 * time.Second
