package limits

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Counter is one integer counter touched by a check: a plain key, or one
// field of a hash key when Field is set (usage totals live in hashes so that
// one read returns every model of a consumer).
//
// Every key of one Reserve or Add call carries the same hash tag — the part
// between the first "{" and the next "}" — so that a Redis Cluster keeps them
// in one slot and the Local store in one shard.
type Counter struct {
	Key   string
	Field string
	// Amount is added to the counter (may be negative in Add).
	Amount int64
	// Limit, when positive, is checked by Reserve: the counter must stay at
	// or below it after adding Amount. Zero or negative means unchecked.
	Limit int64
	// TTL is how long the counter lives after this write; it outlives the
	// window so that late settlements still land in it.
	TTL time.Duration
}

// Reservation is the answer of Store.Reserve.
type Reservation struct {
	// OK is true when every checked counter fitted and all were incremented.
	OK bool
	// Failed is the index of the first counter that did not fit (when !OK).
	Failed int
	// Values are the counters after the call: incremented when OK, as they
	// were (untouched) when not.
	Values []int64
}

// Store keeps limit counters. Implementations are safe for concurrent use.
type Store interface {
	// Reserve atomically checks every counter with a Limit and, only if all
	// fit, adds every Amount: all or nothing.
	Reserve(ctx context.Context, cs []Counter) (Reservation, error)
	// Add adds every Amount without checking and returns the new values.
	Add(ctx context.Context, cs []Counter) ([]int64, error)
	// Fields returns every field of a hash key (empty when absent).
	Fields(ctx context.Context, key string) (map[string]int64, error)
	// FieldsBatch returns every field of each key, in order, in one round
	// trip per server (a pipeline): /usage reads thousands of consumers.
	FieldsBatch(ctx context.Context, keys []string) ([]map[string]int64, error)
	// Counters returns the values of plain counters (Field ""), 0 for an
	// absent one, in order, in one round trip per server.
	Counters(ctx context.Context, keys []string) ([]int64, error)
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	// Close releases connections.
	Close() error
}

// ErrLocalFull is returned by the Local store when it holds its maximum
// number of live keys; the engine treats it like an unreachable store.
var ErrLocalFull = errors.New("local limit store is full")

// hashTag returns the part of key Redis Cluster hashes: the text between the
// first "{" and the next "}", or the whole key when there is none (or it is
// empty), exactly as Redis does.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

// escapeTag makes a consumer name safe inside a {hash tag} and a key:
// '%', '{', '}' and ':' are percent-encoded, so distinct names stay distinct
// and no name can end the tag early. An empty name becomes "%00".
func escapeTag(s string) string {
	if s == "" {
		return "%00"
	}
	if !strings.ContainsAny(s, "%{}:") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '%':
			b.WriteString("%25")
		case '{':
			b.WriteString("%7B")
		case '}':
			b.WriteString("%7D")
		case ':':
			b.WriteString("%3A")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sanitizePrefix removes braces from a key prefix: a brace there would move
// the hash tag off the consumer and split one check over several slots.
func sanitizePrefix(p string) string {
	return strings.NewReplacer("{", "(", "}", ")").Replace(p)
}
