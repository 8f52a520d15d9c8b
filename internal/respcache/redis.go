package respcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store is where answers are kept: Memory (one replica's) or Redis
// (shared by every replica of a gateway).
type Store interface {
	// Load returns the entry of key, if present and not expired.
	Load(ctx context.Context, key string) (*Entry, bool, error)
	// Save stores e under key for ttl.
	Save(ctx context.Context, key string, e *Entry, ttl time.Duration) error
}

// Load is Get, for Store.
func (m *Memory) Load(_ context.Context, key string) (*Entry, bool, error) {
	e, ok := m.Get(key)
	return e, ok, nil
}

// Save is Set, for Store.
func (m *Memory) Save(_ context.Context, key string, e *Entry, ttl time.Duration) error {
	m.Set(key, e, ttl)
	return nil
}

// Redis keeps answers in Redis under prefix, each key expiring after its
// TTL (Redis evicts them by its own memory policy: the local bounds do not
// apply, MaxEntryBytes still does). Safe for concurrent use.
type Redis struct {
	c      redis.UniversalClient
	prefix string
}

// NewRedis keeps answers in c under keys starting with prefix.
func NewRedis(c redis.UniversalClient, prefix string) *Redis {
	return &Redis{c: c, prefix: prefix + "respcache:"}
}

// An entry is stored as "1" or "0" (a stream or not), its content type,
// a newline, then the body.
func encodeEntry(e *Entry) []byte {
	b := make([]byte, 0, len(e.Body)+len(e.ContentType)+2)
	flag := byte('0')
	if e.Stream {
		flag = '1'
	}
	b = append(append(append(b, flag), e.ContentType...), '\n')
	return append(b, e.Body...)
}

func decodeEntry(b []byte) (*Entry, error) {
	nl := bytes.IndexByte(b, '\n')
	if len(b) < 2 || nl < 1 || (b[0] != '0' && b[0] != '1') {
		return nil, errors.New("respcache: a malformed entry")
	}
	return &Entry{Stream: b[0] == '1', ContentType: string(b[1:nl]), Body: b[nl+1:]}, nil
}

// Load returns the entry of key.
func (r *Redis) Load(ctx context.Context, key string) (*Entry, bool, error) {
	b, err := r.c.Get(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("respcache: loading an answer: %w", err)
	}
	e, err := decodeEntry(b)
	if err != nil {
		return nil, false, err
	}
	return e, true, nil
}

// Save stores e under key for ttl.
func (r *Redis) Save(ctx context.Context, key string, e *Entry, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	if err := r.c.Set(ctx, r.prefix+key, encodeEntry(e), ttl).Err(); err != nil {
		return fmt.Errorf("respcache: storing an answer: %w", err)
	}
	return nil
}
