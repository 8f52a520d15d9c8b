// Package activity keeps the gateway's activity log: one bounded record per
// request (when, who, which app, which model and backend, tokens, cost,
// latency, outcome), looked up by its generation id (GET /v1/generation)
// or listed per consumer with filters and paging (GET /v1/activity). It
// lives in the Redis the limits use when they use Redis (a capped stream
// per consumer, a gateway-wide capped stream for the admin view, and one
// key per generation id, all with the retention as their bound), and in a
// bounded in-memory ring otherwise.
//
// Writes never stand in a request's way: Add queues the record and returns;
// a failed write is counted and dropped. Request and response bodies are
// not part of a record unless the call's capture was on (an opt-in of its
// consumer or gateway): then they are kept beside it (Bodies), each cut at
// the capture's cap, until the capture's expiry, and read only by the
// record's consumer or the admin.
package activity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Defaults of Options.
const (
	DefaultRetention  = 7 * 24 * time.Hour
	DefaultMaxRecords = 10000 // per consumer (Redis) or in all (memory)
	DefaultMaxAdmin   = 50000 // the gateway-wide stream (Redis)
	DefaultQueue      = 4096
	DefaultTimeout    = time.Second
	DefaultPageSize   = 50
	MaxPageSize       = 500
	// DefaultMaxBodyBytes bounds the captured bodies a Memory store
	// keeps in all (the oldest captures go first).
	DefaultMaxBodyBytes = 64 << 20
	maxScan             = 5000 // records one List reads at most
	maxFieldLen         = 256  // app, subject and model strings are cut to this
	generationIDPrefix  = "gen-"
)

// HeaderGenerationID is the response header naming a request's generation.
const HeaderGenerationID = "X-Generation-Id"

// ErrNotFound is a generation that does not exist, expired, or belongs to
// another consumer (indistinguishable on purpose).
var ErrNotFound = errors.New("generation not found")

// Record is one request as the activity log keeps it.
type Record struct {
	ID       string `json:"id"`
	Time     int64  `json:"created_at"` // unix milliseconds
	Consumer string `json:"consumer"`
	Subject  string `json:"subject,omitempty"`
	App      string `json:"app,omitempty"`
	AppURL   string `json:"app_url,omitempty"`
	// Category is the use the client named (X-Tollgate-Category: coding,
	// agents…), for rankings by category.
	Category string `json:"category,omitempty"`
	API      string `json:"api,omitempty"`
	// Model is the public model served (the one asked for when nothing
	// was served); Asked the one asked for when a policy downgraded it.
	Model             string  `json:"model"`
	Asked             string  `json:"downgraded_from,omitempty"`
	Backend           string  `json:"backend,omitempty"`
	Provider          string  `json:"provider,omitempty"`
	UpstreamModel     string  `json:"upstream_model,omitempty"`
	InputTokens       int64   `json:"tokens_prompt"`
	OutputTokens      int64   `json:"tokens_completion"`
	CachedInputTokens int64   `json:"tokens_cached,omitempty"`
	ReasoningTokens   int64   `json:"tokens_reasoning,omitempty"`
	UsageReported     bool    `json:"usage_reported"`
	Cost              float64 `json:"total_cost"`
	LatencyMS         float64 `json:"latency_ms"`
	TTFTMS            float64 `json:"ttft_ms,omitempty"`
	FinishReason      string  `json:"finish_reason,omitempty"`
	Status            int     `json:"status"`
	Error             string  `json:"error,omitempty"`
	Stream            bool    `json:"streamed"`
	Attempts          int     `json:"attempts,omitempty"`
	// Cached is true for an answer served by the response cache ($0).
	Cached bool `json:"cached,omitempty"`
	// BYOK is true when the consumer's own vendor key served it ($0 to
	// the gateway's budgets).
	BYOK bool `json:"byok,omitempty"`
	// Guardrails lists the guardrail findings (kind, action and phase
	// with counts; never the value found).
	Guardrails string `json:"guardrail_hits,omitempty"`
	// BodiesCaptured is true when the call's bodies were captured (read
	// them with Store.Bodies while they last).
	BodiesCaptured bool `json:"bodies_captured,omitempty"`
	// Bodies are the captured bodies: set on Add, and on a lookup that
	// asked for them; never in a List.
	Bodies *Bodies `json:"bodies,omitempty"`
}

// Bodies are a call's captured request and answer: the request as the
// client sent it, the answer as the client received it (a stream's raw
// server-sent events), each masked by the guardrails of its consumer and
// cut at the capture's cap (Truncated then). Never a header or a key.
type Bodies struct {
	Request           string `json:"request"`
	RequestTruncated  bool   `json:"request_truncated,omitempty"`
	Response          string `json:"response"`
	ResponseTruncated bool   `json:"response_truncated,omitempty"`
	// ExpiresAt is when they are forgotten (unix milliseconds), before
	// the record itself.
	ExpiresAt int64 `json:"expires_at"`
}

func (b *Bodies) size() int { return len(b.Request) + len(b.Response) }

// Filter selects records of a List.
type Filter struct {
	// Consumer restricts to one consumer ("" only in the admin view).
	Consumer string
	From, To time.Time // zero: unbounded
	Model    string
	App      string
	Category string
	// Status is an exact HTTP status, or a class: "ok" (<400), "error"
	// (>=400), "2xx".."5xx"; "" for all.
	Status string
	Limit  int
	// Cursor is a Page's Next: the page after it.
	Cursor string
}

// Page is one page of a List, newest first.
type Page struct {
	Data []Record `json:"data"`
	// Next is the cursor of the following page ("" at the end).
	Next string `json:"next_cursor,omitempty"`
}

// Store keeps the activity log.
type Store interface {
	// Add queues rec; it never blocks on the store.
	Add(rec *Record)
	// Get returns consumer's generation id, without its bodies (consumer
	// "" is the admin: any consumer's).
	Get(ctx context.Context, consumer, id string) (*Record, error)
	// Bodies returns the captured bodies of consumer's generation id
	// (consumer "" is the admin: any consumer's); ErrNotFound when none
	// were captured, they expired, or it is another consumer's.
	Bodies(ctx context.Context, consumer, id string) (*Bodies, error)
	// List returns one page of f's records.
	List(ctx context.Context, f Filter) (Page, error)
	// Close flushes queued records (bounded by ctx) and releases the store.
	Close(ctx context.Context) error
}

// Options bound a store.
type Options struct {
	Retention  time.Duration
	MaxRecords int
	MaxAdmin   int
	Queue      int
	Timeout    time.Duration
	// MaxBodyBytes bounds a Memory store's captured bodies in all.
	MaxBodyBytes int
	// Now is the clock retention is measured with; default time.Now.
	Now func() time.Time
	// Dropped, when set, is called once per record that could not be
	// written (queue full or store failure).
	Dropped func(reason string)
}

func (o Options) withDefaults() Options {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.MaxRecords <= 0 {
		o.MaxRecords = DefaultMaxRecords
	}
	if o.MaxAdmin <= 0 {
		o.MaxAdmin = DefaultMaxAdmin
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dropped == nil {
		o.Dropped = func(string) {}
	}
	return o
}

// NewID returns a fresh generation id, OpenRouter style ("gen-" and 24 hex
// digits).
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return generationIDPrefix + hex.EncodeToString(b[:])
}

// ValidID reports whether id is shaped like a generation id (anything else
// is not looked up).
func ValidID(id string) bool {
	rest, ok := strings.CutPrefix(id, generationIDPrefix)
	if !ok || len(rest) != 24 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil
}

// Clip cuts a client-supplied string to the record's field bound.
func Clip(s string) string {
	if len(s) > maxFieldLen {
		return s[:maxFieldLen]
	}
	return s
}

// maxCategoryLen bounds a category name.
const maxCategoryLen = 64

// Category normalises a client's category header: lower case letters,
// digits, '-' and '_' only, at most 64 bytes; anything else is no
// category ("").
func Category(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" || len(v) > maxCategoryLen {
		return ""
	}
	for _, r := range v {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return ""
		}
	}
	return v
}

// ValidStatus reports whether s is a Filter.Status the stores understand.
func ValidStatus(s string) bool {
	switch s {
	case "", "ok", "error", "2xx", "3xx", "4xx", "5xx":
		return true
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 100 && n <= 599
}

// match reports whether rec passes f (its time and consumer aside).
func (f *Filter) match(rec *Record) bool {
	if f.Model != "" && rec.Model != f.Model {
		return false
	}
	if f.App != "" && rec.App != f.App {
		return false
	}
	if f.Category != "" && rec.Category != f.Category {
		return false
	}
	switch st := f.Status; st {
	case "":
	case "ok":
		return rec.Status > 0 && rec.Status < 400
	case "error":
		return rec.Status >= 400 || rec.Status == 0
	case "2xx", "3xx", "4xx", "5xx":
		return rec.Status/100 == int(st[0]-'0')
	default:
		n, _ := strconv.Atoi(st)
		return rec.Status == n
	}
	return true
}

func (f *Filter) limit() int {
	switch {
	case f.Limit <= 0:
		return DefaultPageSize
	case f.Limit > MaxPageSize:
		return MaxPageSize
	}
	return f.Limit
}

// inTime reports whether rec is within f's range and the retention.
func (f *Filter) inTime(rec *Record, oldest int64) bool {
	if rec.Time < oldest {
		return false
	}
	if !f.From.IsZero() && rec.Time < f.From.UnixMilli() {
		return false
	}
	if !f.To.IsZero() && rec.Time > f.To.UnixMilli() {
		return false
	}
	return true
}

// ErrBadCursor is a cursor no List returned.
var ErrBadCursor = errors.New("invalid cursor")
