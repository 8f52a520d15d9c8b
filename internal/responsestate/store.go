// Package responsestate keeps the conversation state behind the Responses
// API's previous_response_id: a stored response's conversation (input
// and output items), its model, the backend a native chain must continue
// on, and the consumer that created it, for a bounded time. It lives in
// Redis when the gateway's limits use Redis (every replica sees it) and in
// a bounded in-memory LRU otherwise. Records are scoped by consumer: a
// consumer cannot read, continue or delete another's response.
//
// This is conversation state, not logging: nothing is kept for a request
// with store:false, or when the gateway turns storing off.
package responsestate

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Defaults of Options.
const (
	DefaultTTL            = 24 * time.Hour
	DefaultMaxEntries     = 10000
	DefaultMaxBytes       = 256 << 20
	DefaultMaxRecordBytes = 8 << 20
	DefaultRedisTimeout   = time.Second
)

// HeaderStore is the response header saying the gateway served store:true
// as store:false (value "disabled").
const HeaderStore = "X-Tollgate-Response-Store"

var (
	// ErrNotFound is a response that does not exist, expired, was
	// deleted, or belongs to another consumer (indistinguishable on
	// purpose).
	ErrNotFound = errors.New("response not found")
	// ErrTooLarge is a record larger than Options.MaxRecordBytes.
	ErrTooLarge = errors.New("response too large to store")
)

// Record is one stored response.
type Record struct {
	ID       string `json:"id"`
	Consumer string `json:"consumer"`
	// Model is the public model the client asked for.
	Model string `json:"model"`
	// Backend names the backend that produced a natively served response
	// (its ids exist only there: the chain must continue on it); empty
	// for translated responses, whose conversation the gateway replays.
	Backend string `json:"backend,omitempty"`
	// Conversation is the JSON array of items a continuation replays:
	// the prior conversation, this request's input and the output.
	Conversation json.RawMessage `json:"conversation"`
	// Response is the response object, for GET /v1/responses/{id}.
	Response  json.RawMessage `json:"response,omitempty"`
	CreatedAt int64           `json:"created_at"`
}

// Store keeps records for Options.TTL.
type Store interface {
	// Put stores rec (replacing a record of the same consumer and id).
	Put(ctx context.Context, rec *Record) error
	// Get returns consumer's record id, or ErrNotFound.
	Get(ctx context.Context, consumer, id string) (*Record, error)
	// Delete removes consumer's record id, or returns ErrNotFound.
	Delete(ctx context.Context, consumer, id string) error
}

// Options bound a store. Zero values take the defaults.
type Options struct {
	// TTL is how long a record is kept after it is stored.
	TTL time.Duration
	// MaxEntries and MaxBytes bound the in-memory store; the least
	// recently used records go first.
	MaxEntries int
	MaxBytes   int64
	// MaxRecordBytes bounds one record (its JSON) in either store.
	MaxRecordBytes int
	// Timeout bounds each Redis call.
	Timeout time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultRedisTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Keep decides whether a response is stored: the client's store (OpenAI's
// default is true) when the gateway allows storing. downgraded is true
// when the client asked to store and the gateway does not (the answer
// then carries HeaderStore).
func Keep(store *bool, enabled bool) (keep, downgraded bool) {
	wanted := store == nil || *store
	return wanted && enabled, wanted && !enabled
}

func encode(rec *Record, max int) ([]byte, error) {
	if rec.ID == "" || rec.Consumer == "" {
		return nil, errors.New("response record needs an id and a consumer")
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, ErrTooLarge
	}
	return b, nil
}
