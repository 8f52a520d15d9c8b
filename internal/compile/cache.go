package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// ConsumerCache keeps one gateway's compiled consumers between compiles,
// so a change to one Consumer recompiles that one (docs/performance.md,
// "Incremental compile"). An entry is reused only when its fingerprint —
// the Consumer's UID and generation (resourceVersion when it has none)
// and the resourceVersions of the Secrets it reads — and the compile context (the gateway's name and labels, the
// valid TokenPolicies, the trusted issuers, the providers) are the same
// as when it was compiled; a Consumer or Secret with neither
// (files given to `tollgate render`) or a key in a rotation overlap (its
// validity depends on Now) is always compiled. Compile stays a function
// of its Input: with or without a cache the config is the same.
//
// Only the consumers of the last compile are kept. One cache serves one
// gateway; compiles sharing it are serialised.
type ConsumerCache struct {
	mu      sync.Mutex
	context string
	entries map[string]cachedConsumer
	next    map[string]cachedConsumer
}

// NewConsumerCache returns an empty cache.
func NewConsumerCache() *ConsumerCache { return &ConsumerCache{} }

// cachedConsumer is one Consumer's compile: its config entry (ok) or
// nothing (left out), and the problems it reported.
type cachedConsumer struct {
	fp       string
	out      config.Consumer
	ok       bool
	problems []Problem
}

// cacheRun is one compile's use of a cache; a nil cache is a run that
// keeps nothing.
type cacheRun struct {
	c       *ConsumerCache
	context string
}

// begin starts a compile under context; entries of another context are
// dropped. end must follow.
func (c *ConsumerCache) begin(context string) *cacheRun {
	if c == nil {
		return &cacheRun{context: context}
	}
	c.mu.Lock()
	if c.context != context {
		c.entries = nil
	}
	c.context = context
	c.next = make(map[string]cachedConsumer, len(c.entries))
	return &cacheRun{c: c, context: context}
}

func (r *cacheRun) get(name, fp string) (cachedConsumer, bool) {
	if r.c == nil || fp == "" {
		return cachedConsumer{}, false
	}
	e, ok := r.c.entries[name]
	if !ok || e.fp != fp {
		return cachedConsumer{}, false
	}
	r.c.next[name] = e
	return e, true
}

func (r *cacheRun) put(name string, e cachedConsumer) {
	if r.c != nil {
		r.c.next[name] = e
	}
}

// key is what identifies a compiled consumer's config entry across
// compiles ("" when it cannot be): config.SplitCached reuses a shard's
// bytes when every consumer in it has the same key as before. The
// fingerprint starts with the compile context, so it is the key.
func (r *cacheRun) key(fp string, cacheable bool) string {
	if !cacheable {
		return ""
	}
	return fp
}

// end keeps the consumers of this compile only.
func (r *cacheRun) end() {
	if r.c == nil {
		return
	}
	r.c.entries, r.c.next = r.c.next, nil
	r.c.mu.Unlock()
}

// cacheContext is a digest of everything besides the Consumer and its
// Secrets that one Consumer's compile reads.
func (c *compiler) cacheContext(cfg *config.Config, policies map[string]config.Policy) string {
	gw := c.in.Gateway
	h := sha256.New()
	w := func(ss ...string) {
		for _, s := range ss {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	w(gw.Namespace, gw.Name)
	labels := make([]string, 0, len(gw.Labels))
	for k, v := range gw.Labels {
		labels = append(labels, k+"="+v)
	}
	slices.Sort(labels)
	w(labels...)
	w("policies")
	pn := make([]string, 0, len(policies))
	for n := range policies {
		pn = append(pn, n)
	}
	slices.Sort(pn)
	w(pn...)
	w("issuers")
	for _, is := range cfg.Auth.Issuers {
		w(is.Issuer)
	}
	w("providers")
	for _, p := range cfg.Providers {
		w(p.Name, string(p.Type))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// fingerprint names the version of a Consumer and of every Secret its
// compile reads; false when it cannot (see ConsumerCache).
func (c *compiler) fingerprint(r *cacheRun, cs *v1alpha1.Consumer) (string, bool) {
	if r.c == nil || (cs.Generation == 0 && cs.ResourceVersion == "") {
		return "", false
	}
	// Compile reads a Consumer's name and spec only: its generation moves
	// with the spec (a status write, every usage refresh, does not).
	var b strings.Builder
	b.Grow(len(r.context) + 96)
	b.WriteString(r.context)
	b.WriteByte('|')
	b.WriteString(string(cs.UID))
	if cs.Generation > 0 {
		b.WriteString("/g")
		b.WriteString(strconv.FormatInt(cs.Generation, 10))
	} else {
		b.WriteString("/v")
		b.WriteString(cs.ResourceVersion)
	}
	secret := func(name string, key bool) bool {
		b.WriteByte('|')
		b.WriteString(name)
		s, ok := c.secrets[name]
		if !ok || s == nil {
			b.WriteString("@-")
			return true
		}
		if s.ResourceVersion == "" || (key && len(s.Data[KeyPreviousAPIKey]) > 0) {
			return false
		}
		b.WriteByte('@')
		b.WriteString(s.ResourceVersion)
		return true
	}
	if HasKey(cs) && !secret(KeySecretName(cs), true) {
		return "", false
	}
	for _, k := range cs.Spec.BYOK {
		if !secret(string(k.SecretRef.Name), false) {
			return "", false
		}
	}
	return b.String(), true
}
