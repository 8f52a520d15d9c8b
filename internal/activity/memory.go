package activity

import (
	"context"
	"strconv"
	"sync"
)

// Memory is a Store in a bounded ring of Options.MaxRecords records, shared
// by every consumer of one gateway process (a busy consumer can push a quiet
// one's records out: the log is best effort, its bound is memory).
type Memory struct {
	opts Options
	mu   sync.Mutex
	ring []Record
	seq  uint64 // records ever added; ring[(seq-1)%len] is the newest
	byID map[string]uint64
}

// NewMemory makes an in-memory store.
func NewMemory(opts Options) *Memory {
	opts = opts.withDefaults()
	return &Memory{opts: opts, ring: make([]Record, opts.MaxRecords), byID: make(map[string]uint64, opts.MaxRecords)}
}

// Add stores rec at once (a copy), evicting the oldest record when full.
func (m *Memory) Add(rec *Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	slot := int(m.seq % uint64(len(m.ring)))
	if old := m.ring[slot].ID; old != "" {
		delete(m.byID, old)
	}
	m.ring[slot] = *rec
	m.seq++
	m.byID[rec.ID] = m.seq
}

func (m *Memory) oldest() int64 {
	return m.opts.Now().Add(-m.opts.Retention).UnixMilli()
}

// Get returns consumer's generation id.
func (m *Memory) Get(_ context.Context, consumer, id string) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.byID[id]
	if !ok {
		return nil, ErrNotFound
	}
	rec := m.ring[(n-1)%uint64(len(m.ring))]
	if rec.Consumer != consumer || rec.Time < m.oldest() {
		return nil, ErrNotFound
	}
	return &rec, nil
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
	lowest := uint64(0)
	if m.seq > uint64(len(m.ring)) {
		lowest = m.seq - uint64(len(m.ring))
	}
	want, oldest := f.limit(), m.oldest()
	var p Page
	for ; n > lowest && len(p.Data) < want; n-- {
		rec := &m.ring[(n-1)%uint64(len(m.ring))]
		if rec.Time < oldest {
			break // older still are older
		}
		if (f.Consumer == "" || rec.Consumer == f.Consumer) && f.inTime(rec, oldest) && f.match(rec) {
			p.Data = append(p.Data, *rec)
		}
	}
	if len(p.Data) == want && n > lowest {
		p.Next = strconv.FormatUint(n, 10)
	}
	return p, nil
}

// Close does nothing: nothing is queued.
func (m *Memory) Close(context.Context) error { return nil }
