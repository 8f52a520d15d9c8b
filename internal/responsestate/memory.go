package responsestate

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Memory is a Store in this process: an LRU bounded by entries and bytes,
// records expiring after the TTL.
type Memory struct {
	opts Options

	mu    sync.Mutex
	ll    *list.List // front: most recently used
	byKey map[memKey]*list.Element
	bytes int64
}

type memKey struct{ consumer, id string }

type memEntry struct {
	key     memKey
	data    []byte // the record's JSON: callers get copies
	expires time.Time
}

// NewMemory makes an empty in-memory store.
func NewMemory(opts Options) *Memory {
	return &Memory{opts: opts.withDefaults(), ll: list.New(), byKey: map[memKey]*list.Element{}}
}

// Put stores rec, evicting expired then least recently used records to
// stay within the bounds.
func (m *Memory) Put(_ context.Context, rec *Record) error {
	b, err := encode(rec, m.opts.MaxRecordBytes)
	if err != nil {
		return err
	}
	now := m.opts.Now()
	k := memKey{rec.Consumer, rec.ID}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.byKey[k]; ok {
		m.remove(el)
	}
	m.byKey[k] = m.ll.PushFront(&memEntry{key: k, data: b, expires: now.Add(m.opts.TTL)})
	m.bytes += int64(len(b))
	for el := m.ll.Back(); el != nil; {
		prev := el.Prev()
		if e := el.Value.(*memEntry); !now.Before(e.expires) {
			m.remove(el)
		}
		el = prev
	}
	for m.ll.Len() > m.opts.MaxEntries || m.bytes > m.opts.MaxBytes {
		m.remove(m.ll.Back())
	}
	return nil
}

// Get returns consumer's record id.
func (m *Memory) Get(_ context.Context, consumer, id string) (*Record, error) {
	m.mu.Lock()
	el, ok := m.byKey[memKey{consumer, id}]
	if !ok {
		m.mu.Unlock()
		return nil, ErrNotFound
	}
	e := el.Value.(*memEntry)
	if !m.opts.Now().Before(e.expires) {
		m.remove(el)
		m.mu.Unlock()
		return nil, ErrNotFound
	}
	m.ll.MoveToFront(el)
	data := e.data
	m.mu.Unlock()
	return decode(data, consumer, id)
}

// Delete removes consumer's record id.
func (m *Memory) Delete(_ context.Context, consumer, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.byKey[memKey{consumer, id}]
	if !ok {
		return ErrNotFound
	}
	expired := !m.opts.Now().Before(el.Value.(*memEntry).expires)
	m.remove(el)
	if expired {
		return ErrNotFound
	}
	return nil
}

// Len is the number of stored records.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ll.Len()
}

// Bytes is the total size of the stored records.
func (m *Memory) Bytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

func (m *Memory) remove(el *list.Element) {
	e := el.Value.(*memEntry)
	m.ll.Remove(el)
	delete(m.byKey, e.key)
	m.bytes -= int64(len(e.data))
}
