// Package respcache is the gateway's exact-match response cache: answers
// (whole or streamed) stored under a key of the normalised request and
// its scope, served again within a TTL, bounded in entries and bytes.
package respcache

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"
)

// Entry is one cached answer, written again as it was.
type Entry struct {
	ContentType string `json:"contentType"`
	Stream      bool   `json:"stream,omitempty"`
	Body        []byte `json:"body"`
}

func (e *Entry) size() int64 { return int64(len(e.Body) + len(e.ContentType) + 64) }

// Key is the cache key of a request: its scope (a consumer's name, or ""
// for a shared cache), the client API and the body, normalised (members
// sorted, no insignificant space) so the same request written another way
// hits. An error when the body is not JSON.
func Key(scope, api string, body []byte) (string, error) {
	norm, err := Normalise(body)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, p := range [][]byte{[]byte(scope), []byte(api), norm} {
		var n [8]byte
		l := len(p)
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Normalise re-encodes a JSON document with object members sorted and
// numbers as written.
func Normalise(body []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Memory is a local LRU cache bounded by entries and bytes, entries
// expiring after their TTL. Safe for concurrent use.
type Memory struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	bytes      int64
	ll         *list.List // front: most recent
	items      map[string]*list.Element
	now        func() time.Time
}

type item struct {
	key     string
	e       *Entry
	expires time.Time
}

// NewMemory makes a cache of at most maxEntries entries and maxBytes.
func NewMemory(maxEntries int, maxBytes int64) *Memory {
	return &Memory{maxEntries: maxEntries, maxBytes: maxBytes, ll: list.New(), items: map[string]*list.Element{}, now: time.Now}
}

// Get returns the entry of key, if present and not expired.
func (m *Memory) Get(key string) (*Entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if !ok {
		return nil, false
	}
	it := el.Value.(*item)
	if !m.now().Before(it.expires) {
		m.remove(el)
		return nil, false
	}
	m.ll.MoveToFront(el)
	return it.e, true
}

// Set stores e under key for ttl, evicting the least recently used
// entries beyond the bounds; an entry larger than maxBytes is not kept.
func (m *Memory) Set(key string, e *Entry, ttl time.Duration) {
	if e.size() > m.maxBytes || ttl <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
	m.items[key] = m.ll.PushFront(&item{key: key, e: e, expires: m.now().Add(ttl)})
	m.bytes += e.size()
	for m.ll.Len() > m.maxEntries || m.bytes > m.maxBytes {
		m.remove(m.ll.Back())
	}
}

// Len is the number of entries held (expired ones included until seen).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ll.Len()
}

func (m *Memory) remove(el *list.Element) {
	it := el.Value.(*item)
	m.ll.Remove(el)
	delete(m.items, it.key)
	m.bytes -= it.e.size()
}

// Events splits a recorded event stream into its events (each with its
// terminating blank line), to replay one write and flush per event.
func Events(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\n\n"))
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i+2])
		b = b[i+2:]
	}
	return out
}
