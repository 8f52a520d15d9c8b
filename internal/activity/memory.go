package activity

import (
	"context"
	"strconv"
	"sync"
)

// Memory is a Store in a bounded ring of Options.MaxRecords records, shared
// by every consumer of one gateway process (a busy consumer can push a quiet
// one's records out: the log is best effort, its bound is memory). Captured
// bodies stay in their record's slot, Options.MaxBodyBytes in all: past it
// the oldest captures are dropped first.
type Memory struct {
	opts Options
	mu   sync.Mutex
	ring []Record
	seq  uint64 // records ever added; ring[(seq-1)%len] is the newest
	byID map[string]uint64
	// bodyBytes are the captured bodies' bytes in the ring; bodyLow the
	// lowest seq whose slot may still hold bodies (0-based).
	bodyBytes int
	bodyLow   uint64
}

// NewMemory makes an in-memory store.
func NewMemory(opts Options) *Memory {
	opts = opts.withDefaults()
	return &Memory{opts: opts, ring: make([]Record, opts.MaxRecords), byID: make(map[string]uint64, opts.MaxRecords)}
}

// Add stores rec at once (a copy, its bodies with it), evicting the oldest
// record when full and the oldest bodies past the bodies' bound.
func (m *Memory) Add(rec *Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	slot := int(m.seq % uint64(len(m.ring)))
	old := &m.ring[slot]
	if old.ID != "" {
		delete(m.byID, old.ID)
	}
	if old.Bodies != nil {
		m.bodyBytes -= old.Bodies.size()
	}
	m.ring[slot] = *rec
	if b := rec.Bodies; b != nil {
		cp := *b
		m.ring[slot].Bodies, m.ring[slot].BodiesCaptured = &cp, true
		m.bodyBytes += cp.size()
	}
	m.seq++
	m.byID[rec.ID] = m.seq
	m.bodyLow = max(m.bodyLow, m.lowest())
	for m.bodyBytes > m.opts.MaxBodyBytes && m.bodyLow < m.seq {
		r := &m.ring[m.bodyLow%uint64(len(m.ring))]
		if r.Bodies != nil {
			m.bodyBytes -= r.Bodies.size()
			r.Bodies = nil
		}
		m.bodyLow++
	}
}

// lowest is the 0-based seq of the oldest record in the ring.
func (m *Memory) lowest() uint64 {
	if m.seq > uint64(len(m.ring)) {
		return m.seq - uint64(len(m.ring))
	}
	return 0
}

func (m *Memory) oldest() int64 {
	return m.opts.Now().Add(-m.opts.Retention).UnixMilli()
}

// find returns consumer's record id ("" consumer: any), nil when it is not
// kept.
func (m *Memory) find(consumer, id string) *Record {
	n, ok := m.byID[id]
	if !ok {
		return nil
	}
	rec := &m.ring[(n-1)%uint64(len(m.ring))]
	if (consumer != "" && rec.Consumer != consumer) || rec.Time < m.oldest() {
		return nil
	}
	return rec
}

// Get returns consumer's generation id (consumer "": any consumer's).
func (m *Memory) Get(_ context.Context, consumer, id string) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.find(consumer, id)
	if rec == nil {
		return nil, ErrNotFound
	}
	out := *rec
	out.Bodies = nil
	return &out, nil
}

// Bodies returns the captured bodies of consumer's generation id.
func (m *Memory) Bodies(_ context.Context, consumer, id string) (*Bodies, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.find(consumer, id)
	if rec == nil || rec.Bodies == nil || rec.Bodies.ExpiresAt <= m.opts.Now().UnixMilli() {
		return nil, ErrNotFound
	}
	out := *rec.Bodies
	return &out, nil
}

// List returns one page of f's records, newest first. The cursor is a
// sequence number.
func (m *Memory) List(_ context.Context, f Filter) (Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.seq // next record to look at is n-1 (as a 1-based seq n)
	if f.Cursor != "" {
		c, err := strconv.ParseUint(f.Cursor, 10, 64)
		if err != nil || c > m.seq {
			return Page{}, ErrBadCursor
		}
		n = c
	}
	lowest := m.lowest()
	want, oldest := f.limit(), m.oldest()
	var p Page
	for ; n > lowest && len(p.Data) < want; n-- {
		rec := &m.ring[(n-1)%uint64(len(m.ring))]
		if rec.Time < oldest {
			break // older still are older
		}
		if (f.Consumer == "" || rec.Consumer == f.Consumer) && f.inTime(rec, oldest) && f.match(rec) {
			p.Data = append(p.Data, *rec)
			p.Data[len(p.Data)-1].Bodies = nil
		}
	}
	if len(p.Data) == want && n > lowest {
		p.Next = strconv.FormatUint(n, 10)
	}
	return p, nil
}

// Close does nothing: nothing is queued.
func (m *Memory) Close(context.Context) error { return nil }
