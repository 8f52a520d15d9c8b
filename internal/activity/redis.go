package activity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-dev/tollgate/internal/redispipe"
)

// Redis is a Store in the Redis the limits use: every replica of a gateway
// writes to and reads from the same log. Keys (under the limits' prefix):
// "gen/<id>" one record, expiring after the retention; "act/<consumer>" the
// consumer's capped stream (MaxRecords, expiring when idle for the
// retention); "act" the gateway's capped stream (MaxAdmin). Records are
// written by one background writer, pipelined in batches. Captured bodies
// are one more key, "body/<id>", expiring at the capture's expiry; they are
// never in the streams.
type Redis struct {
	client redis.UniversalClient
	prefix string
	opts   Options
	queue  chan *Record
	done   chan struct{}
	mu     sync.RWMutex // held to send on queue; Close takes it to close queue
	closed bool
}

const writeBatch = 64

// NewRedis writes through client under prefix. Close it to stop its writer.
func NewRedis(client redis.UniversalClient, prefix string, opts Options) *Redis {
	r := &Redis{client: client, prefix: prefix, opts: opts.withDefaults(), done: make(chan struct{})}
	r.queue = make(chan *Record, r.opts.Queue)
	go r.write()
	return r
}

func (r *Redis) genKey(id string) string  { return r.prefix + "gen/" + id }
func (r *Redis) bodyKey(id string) string { return r.prefix + "body/" + id }

// storedBodies is the value of a body key: the bodies and whose they are.
type storedBodies struct {
	Consumer string  `json:"c"`
	Bodies   *Bodies `json:"b"`
}

func (r *Redis) streamKey(consumer string) string {
	if consumer == "" {
		return r.prefix + "act"
	}
	return r.prefix + "act/" + url.PathEscape(consumer)
}

// Add queues rec for the writer; a full queue drops it.
func (r *Redis) Add(rec *Record) {
	cp := *rec
	if rec.Bodies != nil {
		b := *rec.Bodies
		cp.Bodies, cp.BodiesCaptured = &b, true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.opts.Dropped("closed")
		return
	}
	select {
	case r.queue <- &cp:
	default:
		r.opts.Dropped("queue_full")
	}
}

func (r *Redis) write() {
	defer close(r.done)
	batch := make([]*Record, 0, writeBatch)
	for rec := range r.queue {
		batch = append(batch[:0], rec)
	fill:
		for len(batch) < writeBatch {
			select {
			case more, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, more)
			default:
				break fill
			}
		}
		r.flush(batch)
	}
}

func (r *Redis) flush(batch []*Record) {
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.Timeout)
	defer cancel()
	// Each record's commands, by key: built again for each send.
	var keys []string
	var build []func() redis.Cmder
	var owner []int // the record of each command
	add := func(rec int, key string, f func() redis.Cmder) {
		keys, build, owner = append(keys, key), append(build, f), append(owner, rec)
	}
	now := r.opts.Now()
	for n, rec := range batch {
		bodies := rec.Bodies
		rec.Bodies = nil // the record's keys never hold bodies
		b, err := json.Marshal(rec)
		if err != nil {
			r.opts.Dropped("encode")
			continue
		}
		if bodies != nil {
			if ttl := time.UnixMilli(bodies.ExpiresAt).Sub(now); ttl > 0 {
				if sb, err := json.Marshal(storedBodies{Consumer: rec.Consumer, Bodies: bodies}); err == nil {
					key := r.bodyKey(rec.ID)
					add(n, key, func() redis.Cmder {
						return redis.NewStatusCmd(ctx, "set", key, sb, "px", min(ttl, r.opts.Retention).Milliseconds())
					})
				}
			}
		}
		gen := r.genKey(rec.ID)
		add(n, gen, func() redis.Cmder {
			return redis.NewStatusCmd(ctx, "set", gen, b, "px", r.opts.Retention.Milliseconds())
		})
		ck := r.streamKey(rec.Consumer)
		add(n, ck, func() redis.Cmder { return xadd(ctx, ck, r.opts.MaxRecords, b) })
		add(n, ck, func() redis.Cmder { return redis.NewBoolCmd(ctx, "pexpire", ck, r.opts.Retention.Milliseconds()) })
		admin := r.streamKey("")
		add(n, admin, func() redis.Cmder { return xadd(ctx, admin, r.opts.MaxAdmin, b) })
	}
	if len(keys) == 0 {
		return
	}
	// One round trip per server; on a Cluster per master, and a command a
	// moving slot refused is sent again alone (redispipe).
	cmds := redispipe.Send(ctx, r.client, nil, keys, func(i int) redis.Cmder { return build[i]() })
	failed := map[int]bool{}
	for i, c := range cmds {
		if c.Err() != nil {
			failed[owner[i]] = true
		}
	}
	for range failed {
		r.opts.Dropped("store")
	}
}

// xadd appends b as field "r" to stream key, capped near maxLen entries.
func xadd(ctx context.Context, key string, maxLen int, b []byte) redis.Cmder {
	return redis.NewStringCmd(ctx, "xadd", key, "maxlen", "~", maxLen, "*", "r", b)
}

// Get returns consumer's generation id (consumer "": any consumer's).
func (r *Redis) Get(ctx context.Context, consumer, id string) (*Record, error) {
	rec, err := getJSON[Record](ctx, r, r.genKey(id), "generation "+id)
	if err != nil {
		return nil, err
	}
	if (consumer != "" && rec.Consumer != consumer) || rec.ID != id {
		return nil, ErrNotFound
	}
	return rec, nil
}

// Bodies returns the captured bodies of consumer's generation id.
func (r *Redis) Bodies(ctx context.Context, consumer, id string) (*Bodies, error) {
	sb, err := getJSON[storedBodies](ctx, r, r.bodyKey(id), "the bodies of generation "+id)
	if err != nil {
		return nil, err
	}
	if sb.Bodies == nil || (consumer != "" && sb.Consumer != consumer) || sb.Bodies.ExpiresAt <= r.opts.Now().UnixMilli() {
		return nil, ErrNotFound
	}
	return sb.Bodies, nil
}

// getJSON reads the JSON value at key (what names it in errors); a
// missing key is ErrNotFound.
func getJSON[T any](ctx context.Context, r *Redis, key, what string) (*T, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	b, err := r.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", what, err)
	}
	return &v, nil
}

// List returns one page of f's records, newest first, from the consumer's
// stream (the gateway's when f.Consumer is ""). The cursor is a stream id.
func (r *Redis) List(ctx context.Context, f Filter) (Page, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	oldest := r.opts.Now().Add(-r.opts.Retention).UnixMilli()
	start := oldest
	if !f.From.IsZero() {
		start = max(start, f.From.UnixMilli())
	}
	end := "+"
	if !f.To.IsZero() {
		end = strconv.FormatInt(f.To.UnixMilli(), 10)
	}
	if f.Cursor != "" {
		if !validStreamID(f.Cursor) {
			return Page{}, ErrBadCursor
		}
		end = "(" + f.Cursor
	}
	want := f.limit()
	batch := int64(min(max(2*want, 100), maxScan))
	key := r.streamKey(f.Consumer)
	var p Page
	for scanned := 0; scanned < maxScan; {
		msgs, err := r.client.XRevRangeN(ctx, key, end, strconv.FormatInt(start, 10), batch).Result()
		if err != nil {
			return Page{}, fmt.Errorf("reading the activity log: %w", err)
		}
		for _, m := range msgs {
			scanned++
			end = "(" + m.ID
			var rec Record
			if s, ok := m.Values["r"].(string); !ok || json.Unmarshal([]byte(s), &rec) != nil {
				continue // not a record: skipped, never a failure
			}
			if (f.Consumer == "" || rec.Consumer == f.Consumer) && f.inTime(&rec, oldest) && f.match(&rec) {
				p.Data = append(p.Data, rec)
				if len(p.Data) == want {
					p.Next = m.ID
					return p, nil
				}
			}
		}
		if int64(len(msgs)) < batch {
			return p, nil
		}
	}
	p.Next = strings.TrimPrefix(end, "(") // scanned enough: the client pages on
	return p, nil
}

func validStreamID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return false
	}
	_, e1 := strconv.ParseUint(ms, 10, 64)
	_, e2 := strconv.ParseUint(seq, 10, 64)
	return e1 == nil && e2 == nil
}

// Close stops taking records and waits (bounded by ctx) for the writer to
// write those queued. It does not close the client (the caller owns it).
func (r *Redis) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flushing the activity log: %w", ctx.Err())
	}
}
