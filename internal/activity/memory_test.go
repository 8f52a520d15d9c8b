package activity

import (
	"testing"
	"time"
)

// The ring keeps the newest MaxRecords records: the evicted are neither
// listed nor looked up, and a cursor past them ends the listing.
func TestMemoryRingBound(t *testing.T) {
	m := NewMemory(Options{MaxRecords: 3})
	now := time.Now().UnixMilli()
	var ids []string
	for i := range 5 {
		id := NewID()
		ids = append(ids, id)
		m.Add(&Record{ID: id, Consumer: "c", Time: now + int64(i), Status: 200})
	}
	if _, err := m.Get(t.Context(), "c", ids[0]); err != ErrNotFound {
		t.Errorf("evicted record: %v", err)
	}
	if r, err := m.Get(t.Context(), "c", ids[4]); err != nil || r.ID != ids[4] {
		t.Errorf("newest: %v %v", r, err)
	}
	if _, err := m.Get(t.Context(), "other", ids[4]); err != ErrNotFound {
		t.Errorf("another consumer's record: %v", err)
	}
	p, err := m.List(t.Context(), Filter{Consumer: "c", Limit: 2})
	if err != nil || len(p.Data) != 2 || p.Data[0].ID != ids[4] || p.Next == "" {
		t.Fatalf("page 1: %+v %v", p, err)
	}
	p, err = m.List(t.Context(), Filter{Consumer: "c", Limit: 2, Cursor: p.Next})
	if err != nil || len(p.Data) != 1 || p.Data[0].ID != ids[2] || p.Next != "" {
		t.Errorf("page 2: %+v %v", p, err)
	}
	if _, err := m.List(t.Context(), Filter{Cursor: "99"}); err != ErrBadCursor {
		t.Errorf("future cursor: %v", err)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{NewID(): true, "gen-": false, "gen-zzzzzzzzzzzzzzzzzzzzzzzz": false, "chatcmpl-1": false} {
		if ValidID(id) != want {
			t.Errorf("ValidID(%q) = %v", id, !want)
		}
	}
}

// Captured bodies are bounded in all: past MaxBodyBytes the oldest go
// first (their records stay); a record pushed out of the ring takes its
// bodies with it; nobody but the record's consumer (or the admin) reads
// them.
func TestMemoryBodiesBound(t *testing.T) {
	m := NewMemory(Options{MaxRecords: 4, MaxBodyBytes: 100})
	now := time.Now()
	exp := now.Add(time.Hour).UnixMilli()
	var ids []string
	for i := range 3 {
		id := NewID()
		ids = append(ids, id)
		m.Add(&Record{ID: id, Consumer: "c", Time: now.UnixMilli() + int64(i), Bodies: &Bodies{Request: string(make([]byte, 20)), Response: string(make([]byte, 20)), ExpiresAt: exp}})
	}
	if _, err := m.Bodies(t.Context(), "c", ids[0]); err != ErrNotFound {
		t.Errorf("the oldest bodies past the bound: %v", err)
	}
	if rec, err := m.Get(t.Context(), "c", ids[0]); err != nil || !rec.BodiesCaptured || rec.Bodies != nil {
		t.Errorf("its record: %v %+v", err, rec)
	}
	for _, id := range ids[1:] {
		if b, err := m.Bodies(t.Context(), "c", id); err != nil || len(b.Request) != 20 {
			t.Errorf("bodies %s: %v", id, err)
		}
	}
	if _, err := m.Bodies(t.Context(), "d", ids[2]); err != ErrNotFound {
		t.Errorf("another consumer's bodies: %v", err)
	}
	if _, err := m.Bodies(t.Context(), "", ids[2]); err != nil {
		t.Errorf("the admin's read: %v", err)
	}
	for range 4 {
		m.Add(&Record{ID: NewID(), Consumer: "c", Time: now.UnixMilli()})
	}
	if m.bodyBytes != 0 {
		t.Errorf("%d body bytes left after their records went", m.bodyBytes)
	}
}
