package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

// Sharded distribution (docs/design-notes.md, "Config distribution").
//
// A config whose document would be larger than InlineLimit is split into a
// root document (the config with no consumers, naming its shards) and
// consumer shards. A consumer's shard is picked by a hash of its name among
// 2^bits buckets, so adding or removing a consumer changes one shard only;
// bits grows with the count (ShardTarget consumers a shard on average) and
// further while any shard would exceed MaxShardBytes. The root names every
// shard with the SHA-256 of its document: a reader serves the root only
// when it holds every shard with that hash, so it never serves a mixed set.
const (
	// InlineLimit is the largest document served unsharded: the consumers
	// stay in the root, as before sharding, so small gateways have one
	// Secret.
	InlineLimit = 256 << 10
	// MaxShardBytes bounds one shard's document, far under the API
	// server's 1 MiB Secret limit.
	MaxShardBytes = 512 << 10
	// ShardTarget is the average number of consumers a shard is sized for.
	ShardTarget = 1024
	// maxShardBits bounds the number of buckets (2^16 shards).
	maxShardBits = 16
)

// ErrShardStale is wrapped by ParseShard when a shard does not have the
// hash its root names: it is being written, or was replaced since; the
// reader waits for the next root.
var ErrShardStale = errors.New("consumer shard does not match its root")

// ShardRef names one consumer shard in a root document.
type ShardRef struct {
	// ID names the shard: "s<bits>-<bucket in hex>". A gateway's Secret
	// holding it is named "<root Secret>-<ID>".
	ID string `json:"id"`
	// SHA256 is the lowercase hex SHA-256 of the shard document.
	SHA256 string `json:"sha256"`
	// Consumers is how many consumers the shard holds.
	Consumers int `json:"consumers"`
}

// ConsumerShard is the document of one shard.
type ConsumerShard struct {
	Version   string     `json:"version"`
	ID        string     `json:"id"`
	Consumers []Consumer `json:"consumers"`
}

// Shard is one marshalled shard.
type Shard struct {
	Ref  ShardRef
	Data []byte
}

// Distribution is a config as it is stored: a root document and the
// shards it names (none when the config is small enough to be inline).
type Distribution struct {
	Root   []byte
	Shards []Shard
}

// Hash identifies the whole distribution: the root names every shard by
// its SHA-256, so the root's hash covers them.
func (d *Distribution) Hash() string { return Hash(d.Root) }

// Split marshals c for storage: one document when it fits InlineLimit,
// otherwise a root and consumer shards. c is not modified.
func Split(c *Config) (*Distribution, error) { return SplitCached(c, nil, nil) }

// ShardCache keeps the shards of one gateway's last split, by a digest of
// their consumers' keys, so a split after a one-Consumer change marshals
// and hashes only the shard that consumer is in. One cache serves one
// gateway; splits sharing it are serialised.
type ShardCache struct {
	mu     sync.Mutex
	shards map[[32]byte]Shard
	// Reused and Marshalled count the shards of the last split.
	Reused, Marshalled int
}

// NewShardCache returns an empty cache.
func NewShardCache() *ShardCache { return &ShardCache{} }

// SplitCached is Split reusing the shards of sc's last split whose
// consumers are the same: keys[i] identifies c.Consumers[i]'s entry
// across splits (compile.Result.ConsumerKeys: the same key means the same
// consumer entry), "" when unknown; a shard holding an unknown one is
// marshalled. With nil sc or keys it is Split.
func SplitCached(c *Config, keys []string, sc *ShardCache) (*Distribution, error) {
	if len(keys) != len(c.Consumers) {
		keys, sc = nil, nil
	}
	if small, err := consumersUnder(c.Consumers, InlineLimit); err != nil {
		return nil, err
	} else if small {
		whole, err := Marshal(c)
		if err != nil {
			return nil, err
		}
		if len(whole) <= InlineLimit {
			return &Distribution{Root: whole}, nil
		}
	}
	if sc != nil {
		sc.mu.Lock()
		defer sc.mu.Unlock()
	}
	for bits := shardBits(len(c.Consumers)); bits <= maxShardBits; bits++ {
		shards, fits, err := shardConsumers(c.Consumers, keys, bits, sc)
		if err != nil {
			return nil, err
		}
		if !fits {
			continue
		}
		root := *c
		root.Consumers = nil
		root.Shards = make([]ShardRef, len(shards))
		for i := range shards {
			root.Shards[i] = shards[i].Ref
		}
		data, err := Marshal(&root)
		if err != nil {
			return nil, err
		}
		return &Distribution{Root: data, Shards: shards}, nil
	}
	return nil, fmt.Errorf("consumers do not fit in %d shards of %d bytes", 1<<maxShardBits, MaxShardBytes)
}

// consumersUnder reports whether the consumers' compact JSON is under
// limit bytes, marshalling no more than that: a large config is not
// marshalled whole just to learn it is large.
func consumersUnder(cs []Consumer, limit int) (bool, error) {
	n := 0
	for i := range cs {
		b, err := json.Marshal(&cs[i])
		if err != nil {
			return false, fmt.Errorf("encoding consumer %q: %w", cs[i].Name, err)
		}
		if n += len(b); n > limit {
			return false, nil
		}
	}
	return true, nil
}

// shardBits is the smallest bucket count giving shards of ShardTarget
// consumers on average.
func shardBits(n int) int {
	bits := 0
	for n > ShardTarget<<bits && bits < maxShardBits {
		bits++
	}
	return bits
}

// ShardOf is the bucket of a consumer among 2^bits.
func ShardOf(name string, bits int) uint64 {
	s := sha256.Sum256([]byte(name))
	return binary.BigEndian.Uint64(s[:8]) & (1<<bits - 1)
}

// ShardSecretName is the Secret holding shard id of the root Secret root.
func ShardSecretName(root, id string) string { return root + "-" + id }

// ShardID names bucket b among 2^bits.
func ShardID(bits int, b uint64) string { return fmt.Sprintf("s%d-%04x", bits, b) }

// shardConsumers buckets consumers (order kept within a bucket) and
// marshals the non-empty buckets in bucket order, reusing sc's shard of
// the same consumers; fits is false when one exceeds MaxShardBytes.
func shardConsumers(cs []Consumer, keys []string, bits int, sc *ShardCache) ([]Shard, bool, error) {
	buckets := map[uint64][]int{}
	for i := range cs {
		b := ShardOf(cs[i].Name, bits)
		buckets[b] = append(buckets[b], i)
	}
	order := make([]uint64, 0, len(buckets))
	for b := range buckets {
		order = append(order, b)
	}
	slices.Sort(order)
	out := make([]Shard, 0, len(order))
	next := map[[32]byte]Shard{}
	reused := 0
	var buf []byte
	for _, b := range order {
		id := ShardID(bits, b)
		digest, known := shardDigest(id, cs, buckets[b], keys, &buf)
		if sh, ok := sc.get(digest, known); ok {
			next[digest] = sh
			out = append(out, sh)
			reused++
			continue
		}
		members := make([]Consumer, len(buckets[b]))
		for j, i := range buckets[b] {
			members[j] = cs[i]
		}
		sh, err := MarshalShard(id, members)
		if err != nil {
			return nil, false, err
		}
		if len(sh.Data) > MaxShardBytes {
			return nil, false, nil
		}
		if known {
			next[digest] = sh
		}
		out = append(out, sh)
	}
	if sc != nil {
		sc.shards, sc.Reused, sc.Marshalled = next, reused, len(out)-reused
	}
	return out, true, nil
}

// shardDigest digests a shard's id and its consumers' keys; false when a
// key is unknown.
func shardDigest(id string, cs []Consumer, members []int, keys []string, buf *[]byte) ([32]byte, bool) {
	if keys == nil {
		return [32]byte{}, false
	}
	b := append((*buf)[:0], SchemaVersion...)
	b = append(append(b, 0), id...)
	for _, i := range members {
		if keys[i] == "" {
			return [32]byte{}, false
		}
		b = append(append(b, 0), cs[i].Name...)
		b = append(append(b, 0), keys[i]...)
	}
	*buf = b
	return sha256.Sum256(b), true
}

func (sc *ShardCache) get(d [32]byte, known bool) (Shard, bool) {
	if sc == nil || !known {
		return Shard{}, false
	}
	sh, ok := sc.shards[d]
	return sh, ok
}

// MarshalShard writes one shard document (compact: shards are read by
// machines; the root stays indented for people).
func MarshalShard(id string, cs []Consumer) (Shard, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ConsumerShard{Version: SchemaVersion, ID: id, Consumers: cs}); err != nil {
		return Shard{}, fmt.Errorf("encoding consumer shard %s: %w", id, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return Shard{Ref: ShardRef{ID: id, SHA256: hex.EncodeToString(sum[:]), Consumers: len(cs)}, Data: buf.Bytes()}, nil
}

// ParseRoot decodes a stored root document (JSON or YAML) and checks its
// schema version, without defaulting or validating it: a sharded root is
// valid only with its consumers (Assemble), and Parse is ParseRoot then
// Assemble with no shards.
func ParseRoot(data []byte) (*Config, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("gateway config is not valid YAML or JSON: %w", err)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decoding gateway config: %w", err)
	}
	if c.Version != SchemaVersion {
		return nil, fmt.Errorf("gateway config version %q is not supported (want %q)", c.Version, SchemaVersion)
	}
	for _, r := range c.Shards {
		if !validShardID(r.ID) {
			return nil, fmt.Errorf("gateway config names a shard %q: not a shard id", r.ID)
		}
	}
	return &c, nil
}

// ParseShard checks a shard document against the root's reference (its
// hash, id and count) and returns its consumers.
func ParseShard(ref ShardRef, data []byte) ([]Consumer, error) {
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != ref.SHA256 {
		return nil, fmt.Errorf("%w: %s does not have the hash the root names (not written yet, or replaced since)", ErrShardStale, ref.ID)
	}
	var sh ConsumerShard
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sh); err != nil {
		return nil, fmt.Errorf("decoding consumer shard %s: %w", ref.ID, err)
	}
	if sh.Version != SchemaVersion || sh.ID != ref.ID || len(sh.Consumers) != ref.Consumers {
		return nil, fmt.Errorf("consumer shard %s: version %q, id %q, %d consumers; the root names version %q, %d consumers",
			ref.ID, sh.Version, sh.ID, len(sh.Consumers), SchemaVersion, ref.Consumers)
	}
	return sh.Consumers, nil
}

// Assemble joins a root with its shards' consumers (in the root's shard
// order), then defaults and validates the whole, as Parse does. root is
// not modified.
func Assemble(root *Config, shards map[string][]Consumer) (*Config, error) {
	c := *root
	n := len(c.Consumers)
	for _, r := range c.Shards {
		n += len(shards[r.ID])
	}
	c.Consumers = make([]Consumer, 0, n)
	c.Consumers = append(c.Consumers, root.Consumers...)
	for _, r := range root.Shards {
		cs, ok := shards[r.ID]
		if !ok {
			return nil, fmt.Errorf("consumer shard %s is missing", r.ID)
		}
		c.Consumers = append(c.Consumers, cs...)
	}
	c.Shards = nil
	c.Default()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func validShardID(id string) bool {
	bits, bucket, ok := strings.Cut(strings.TrimPrefix(id, "s"), "-")
	if !ok || !strings.HasPrefix(id, "s") || bits == "" || len(bits) > 2 || len(bucket) != 4 {
		return false
	}
	for _, r := range bits + bucket {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}
