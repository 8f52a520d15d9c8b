package responsestate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
)

// Redis is a Store in the Redis the limits use (every replica of a gateway
// sees every record). Keys are prefix + "resp/" + the escaped consumer +
// "/" + the id, set with the TTL as their expiry.
type Redis struct {
	client redis.UniversalClient
	prefix string
	opts   Options
}

// Dial connects to the Redis the limits use (rc, the limits' Redis
// settings) with the limit store's client construction (limits.NewRedis:
// Sentinel, Cluster, TLS, credentials) but this store's own timeout: a
// record is larger than a counter. Records go under prefix (the limits'
// key prefix). Close the returned client when the store is retired.
func Dial(rc *config.Redis, prefix string, opts Options) (*Redis, io.Closer, error) {
	opts = opts.withDefaults()
	if rc == nil {
		return nil, nil, errors.New("response state: no Redis configured")
	}
	c := *rc
	c.Timeout = config.D(opts.Timeout)
	ls, err := limits.NewRedis(&c)
	if err != nil {
		return nil, nil, fmt.Errorf("response state: %w", err)
	}
	return NewRedis(ls.Client(), prefix, opts), ls, nil
}

// NewRedis stores records through client (the limit store's client,
// limits.Redis.Client()) under prefix (the limits' key prefix).
func NewRedis(client redis.UniversalClient, prefix string, opts Options) *Redis {
	return &Redis{client: client, prefix: prefix, opts: opts.withDefaults()}
}

func (r *Redis) key(consumer, id string) string {
	return r.prefix + "resp/" + url.PathEscape(consumer) + "/" + url.PathEscape(id)
}

// Put stores rec with the TTL.
func (r *Redis) Put(ctx context.Context, rec *Record) error {
	b, err := encode(rec, r.opts.MaxRecordBytes)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	if err := r.client.Set(ctx, r.key(rec.Consumer, rec.ID), b, r.opts.TTL).Err(); err != nil {
		return fmt.Errorf("storing response %s: %w", rec.ID, err)
	}
	return nil
}

// Get returns consumer's record id.
func (r *Redis) Get(ctx context.Context, consumer, id string) (*Record, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	b, err := r.client.Get(ctx, r.key(consumer, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading response %s: %w", id, err)
	}
	return decode(b, consumer, id)
}

// Delete removes consumer's record id.
func (r *Redis) Delete(ctx context.Context, consumer, id string) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	n, err := r.client.Del(ctx, r.key(consumer, id)).Result()
	if err != nil {
		return fmt.Errorf("deleting response %s: %w", id, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// decode reads a stored record, checking it is consumer's record id (a
// key collision must not hand one consumer another's conversation).
func decode(b []byte, consumer, id string) (*Record, error) {
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decoding stored response %s: %w", id, err)
	}
	if rec.Consumer != consumer || rec.ID != id {
		return nil, ErrNotFound
	}
	return &rec, nil
}
