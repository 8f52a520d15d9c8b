package respcache

import (
	"strings"
	"testing"
	"time"
)

func TestKeyNormalisesAndScopes(t *testing.T) {
	a, err := Key("team-a", "chat", []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.50}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Key("team-a", "chat", []byte("{ \"temperature\":0.50, \"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\n\"model\":\"m\"}"))
	if a != b {
		t.Fatal("the same request written another way has another key")
	}
	for _, other := range []struct{ scope, api, body string }{
		{"team-b", "chat", `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.50}`},
		{"team-a", "messages", `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.50}`},
		{"team-a", "chat", `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.5}`},
		{"", "team-achat", `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.50}`},
	} {
		k, _ := Key(other.scope, other.api, []byte(other.body))
		if k == a {
			t.Fatalf("%+v shares the key", other)
		}
	}
	if _, err := Key("", "", []byte("{")); err == nil {
		t.Fatal("a broken body has a key")
	}
}

func TestMemoryBounds(t *testing.T) {
	now := time.Unix(0, 0)
	m := NewMemory(2, 1000)
	m.now = func() time.Time { return now }
	e := func(n int) *Entry { return &Entry{Body: []byte(strings.Repeat("x", n))} }
	m.Set("a", e(10), time.Minute)
	m.Set("b", e(10), time.Minute)
	m.Get("a")
	m.Set("c", e(10), time.Minute) // evicts b, the least recently used
	if _, ok := m.Get("b"); ok {
		t.Fatal("b was kept beyond maxEntries")
	}
	if _, ok := m.Get("a"); !ok {
		t.Fatal("a was evicted")
	}
	m.Set("big", e(2000), time.Minute)
	if _, ok := m.Get("big"); ok {
		t.Fatal("an entry over maxBytes was kept")
	}
	m.Set("d", e(900), time.Minute) // bytes: evicts until within 1000
	if m.bytes > 1000 {
		t.Fatalf("%d bytes held", m.bytes)
	}
	now = now.Add(2 * time.Minute)
	if _, ok := m.Get("d"); ok {
		t.Fatal("an expired entry was served")
	}
}

func TestEvents(t *testing.T) {
	got := Events([]byte("event: a\ndata: 1\n\ndata: 2\n\ntail"))
	if len(got) != 3 || string(got[0]) != "event: a\ndata: 1\n\n" || string(got[2]) != "tail" {
		t.Fatalf("%q", got)
	}
}

func TestEntryEncoding(t *testing.T) {
	for _, e := range []*Entry{{ContentType: "text/event-stream", Stream: true, Body: []byte("data: x\n\n")}, {ContentType: "application/json", Body: []byte("{}")}, {}} {
		got, err := decodeEntry(encodeEntry(e))
		if err != nil || got.ContentType != e.ContentType || got.Stream != e.Stream || string(got.Body) != string(e.Body) {
			t.Fatalf("%+v -> %+v %v", e, got, err)
		}
	}
	if _, err := decodeEntry([]byte("x")); err == nil {
		t.Fatal("a malformed entry decoded")
	}
}
