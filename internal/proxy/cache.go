package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/respcache"
)

// HeaderCache says how the response cache treated a request: hit, miss
// (answered upstream, stored when complete) or bypass (Cache-Control:
// no-store).
const HeaderCache = "X-Tollgate-Cache"

// cacheTimeout bounds one Redis round trip of the response cache: a
// lookup that takes longer is a miss, a store that does is dropped.
const cacheTimeout = 250 * time.Millisecond

// responseCache is a snapshot's response cache (nil: caching is off). It
// is handed from a snapshot to the next while its settings hold (answers
// survive reloads); its Redis client is closed when the last snapshot
// using it closes.
type responseCache struct {
	key      string // the settings it was built with
	cfg      config.ResponseCache
	store    respcache.Store
	shared   bool // in Redis: every replica's
	closer   io.Closer
	users    atomic.Int64
	ttl      time.Duration
	maxEntry int64
}

// buildResponseCache returns prev's cache when the settings are the same,
// a new one otherwise (in the limits' Redis when the limits use Redis, in
// bounded memory otherwise), nil when off. The caller adopts it once
// nothing else can fail, or discards it.
func buildResponseCache(cfg *config.Config, prev *snapshot) (*responseCache, error) {
	rc := cfg.ResponseCache
	if !rc.Enabled {
		return nil, nil
	}
	k := struct {
		Cache  config.ResponseCache
		Prefix string
		Redis  *config.Redis
	}{rc, limits.KeyPrefix(cfg), nil}
	if cfg.Limits.Type == config.StoreRedis {
		k.Redis = cfg.Limits.Redis
	}
	b, _ := json.Marshal(k) // plain values: cannot fail
	key := string(b)
	if prev != nil && prev.cache != nil && prev.cache.key == key {
		return prev.cache, nil
	}
	c := &responseCache{key: key, cfg: rc, ttl: rc.TTL.Duration, maxEntry: rc.MaxEntryBytes}
	if c.ttl <= 0 {
		c.ttl = config.DefaultCacheTTL
	}
	if c.maxEntry <= 0 {
		c.maxEntry = config.DefaultCacheEntryBytes
	}
	entries, size := rc.MaxEntries, rc.MaxBytes
	if entries <= 0 {
		entries = config.DefaultCacheEntries
	}
	if size <= 0 {
		size = config.DefaultCacheBytes
	}
	if k.Redis != nil {
		r := *k.Redis
		r.Timeout = config.D(cacheTimeout)
		ls, err := limits.NewRedis(&r)
		if err != nil {
			return nil, fmt.Errorf("response cache: %w", err)
		}
		c.store, c.closer, c.shared = respcache.NewRedis(ls.Client(), k.Prefix), ls, true
		return c, nil
	}
	c.store = respcache.NewMemory(entries, size)
	return c, nil
}

// adopt counts one more snapshot using the cache.
func (rc *responseCache) adopt() {
	if rc != nil {
		rc.users.Add(1)
	}
}

// drop ends one snapshot's use; the last closes the cache's Redis client.
func (rc *responseCache) drop() {
	if rc != nil && rc.users.Add(-1) == 0 && rc.closer != nil {
		_ = rc.closer.Close()
	}
}

// discard closes a cache built for a snapshot that was never published.
func (rc *responseCache) discard(prev *snapshot) {
	if rc != nil && (prev == nil || prev.cache != rc) && rc.closer != nil {
		_ = rc.closer.Close()
	}
}

// cacheDirectives reads the request's Cache-Control: noStore (neither
// served from nor stored in the cache) and noCache (not served from it).
func cacheDirectives(h http.Header) (noStore, noCache bool) {
	for _, v := range h.Values("Cache-Control") {
		for _, d := range splitComma(v) {
			switch strings.ToLower(d) {
			case "no-store":
				noStore = true
			case "no-cache":
				noCache = true
			}
		}
	}
	return noStore, noCache
}

// cacheTee records what is written to the client, up to max bytes, to
// store it once the answer completed.
type cacheTee struct {
	http.ResponseWriter
	buf    bytes.Buffer
	max    int64
	over   bool
	status int
}

func (t *cacheTee) WriteHeader(code int) {
	if t.status == 0 {
		t.status = code
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *cacheTee) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	if !t.over {
		if int64(t.buf.Len()+len(p)) > t.max {
			t.over = true
			t.buf = bytes.Buffer{}
		} else {
			t.buf.Write(p)
		}
	}
	return t.ResponseWriter.Write(p)
}

func (t *cacheTee) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// serveCached answers the call from the cache when it holds the request;
// otherwise it prepares the answer's recording (store stores it) and
// returns false. Admission has run: a hit counts against request limits,
// and costs no token and nothing.
func (c *call) serveCached(p *parsed, route, model string, body []byte) bool {
	rc := c.sn.cache
	if rc == nil || (p.op != providers.OpChat && p.op != providers.OpEmbeddings) || c.api.name() == "responses" ||
		!matchesAny(rc.cfg.Models, model) {
		return false
	}
	h := c.w.Header()
	noStore, noCache := cacheDirectives(c.r.Header)
	if noStore {
		h.Set(HeaderCache, "bypass")
		c.s.m.CacheLookups.WithLabelValues(c.model, "bypass").Inc()
		return false
	}
	scope := c.consumer
	if rc.cfg.Scope == config.CacheScopeShared {
		scope = ""
	} else if scope == "" {
		// Anonymous clients are one scope apart from every consumer's.
		scope = "\x00anonymous"
	}
	// The canonical request (masked, when guardrails mask) is the key:
	// the client's own body only when no canonical form exists.
	if p.body != nil {
		body = p.body
	}
	key, err := respcache.Key(scope, c.api.name()+"\x00"+route+"\x00"+model, body)
	if err != nil {
		return false
	}
	if !noCache {
		ctx, cancel := context.WithTimeout(c.r.Context(), cacheTimeout)
		e, ok, err := rc.store.Load(ctx, key)
		cancel()
		if err != nil {
			c.s.m.CacheLookups.WithLabelValues(c.model, "error").Inc()
			c.s.log.LogAttrs(c.r.Context(), slog.LevelWarn, "response cache lookup failed", attrErr(err))
		}
		if ok {
			c.s.m.CacheLookups.WithLabelValues(c.model, "hit").Inc()
			c.replay(e)
			return true
		}
	}
	c.s.m.CacheLookups.WithLabelValues(c.model, "miss").Inc()
	h.Set(HeaderCache, "miss")
	tee := &cacheTee{ResponseWriter: c.w, max: rc.maxEntry}
	c.w = tee
	c.storeTo = func() {
		if tee.over || tee.status != http.StatusOK || c.status != http.StatusOK || c.errClass != "" || c.cancelled {
			return
		}
		ct := tee.Header().Get("Content-Type")
		// The client has its answer: storing it outlives the request.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.r.Context()), cacheTimeout)
		defer cancel()
		e := &respcache.Entry{ContentType: ct, Stream: c.stream, Body: bytes.Clone(tee.buf.Bytes())}
		if err := rc.store.Save(ctx, key, e, rc.ttl); err != nil {
			c.s.log.LogAttrs(ctx, slog.LevelWarn, "response cache store failed", attrErr(err))
		}
	}
	return false
}

// replay writes a cached answer: a stream one event per write and flush.
func (c *call) replay(e *respcache.Entry) {
	h := c.w.Header()
	h.Set(HeaderCache, "hit")
	h.Set(HeaderCost, "0") // a hit costs nothing; the body is the first answer's
	h.Set("Content-Type", e.ContentType)
	if e.Stream {
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
	}
	c.cached, c.sent, c.status = true, true, http.StatusOK
	c.w.WriteHeader(http.StatusOK)
	if !e.Stream {
		_ = c.rc.SetWriteDeadline(time.Now().Add(c.sn.writeTimeout))
		if _, err := c.w.Write(e.Body); err != nil {
			c.cancelled = true
		}
		return
	}
	for _, ev := range respcache.Events(e.Body) {
		_ = c.rc.SetWriteDeadline(time.Now().Add(c.sn.writeTimeout))
		if _, err := c.w.Write(ev); err != nil {
			c.cancelled = true
			return
		}
		_ = c.rc.Flush()
	}
}
