package proxy

import (
	"fmt"
	"maps"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// A sharded config's consumers are checked and built a shard at a time,
// and each shard's built consumers are kept with the snapshot, so a swap
// after a one-Consumer change checks and builds the consumers of the one
// shard that changed and reuses the others'. A shard's build is reused
// while its hash (the root names every shard by the SHA-256 of its
// document) and the digest of what the build reads of the root
// (config.ShardCheck.Digest: policy names, issuers, providers) are the
// same. The merged indexes (key lookup, names and key hashes for the
// checks across shards) are copied from the previous swap's and patched
// with the shards that left and came, or made anew when most of the
// consumers changed.

// builtShard is one shard's consumers, checked and built.
type builtShard struct {
	id, sha256 string
	// consumers are the shard's decoded consumers (the caller's slice,
	// never modified); infos[i] is consumers[i] built.
	consumers []config.Consumer
	infos     []*consumer
	// keys is the shard's key map, by key lookup id.
	keys map[string][]keyEntry
	// byok holds the adapters carrying the consumers' own vendor keys
	// (by consumer and provider); redact lists those keys in consumer
	// order, for their providers' redactions.
	byok   map[string]map[string]providers.Adapter
	redact []byokSecret
}

type byokSecret struct{ provider, key string }

// shardState is what a sharded snapshot's consumers were built from; the
// next swap starts from it. It is immutable once its snapshot is
// published.
type shardState struct {
	digest [32]byte
	// shards are in the root's order.
	shards []*builtShard
	byID   map[string][]keyEntry
	// names and owners map each consumer name and key hash to the id of
	// the shard holding it.
	names, owners map[string]string
	// built and reused count the consumers of this swap that were checked
	// and built, and those whose shard's build was kept.
	built, reused int
}

// assembleShards checks and builds a sharded root with its shards'
// consumers, reusing prev's builds where they hold; the result is the
// assembled config (what config.Assemble gives) and its state. Any error
// means "not this way": the caller assembles the whole (config.Assemble),
// whose answer (and message) is the one every load gives.
func assembleShards(root *config.Config, parts map[string][]config.Consumer, prev *shardState) (*config.Config, *shardState, error) {
	cfg, err := config.CheckRoot(root)
	if err != nil {
		return nil, nil, err
	}
	check, err := config.NewShardCheck(cfg)
	if err != nil {
		return nil, nil, err
	}
	st := &shardState{digest: check.Digest(), shards: make([]*builtShard, 0, len(root.Shards))}
	held := map[string]*builtShard{}
	if prev != nil && prev.digest == st.digest {
		for _, b := range prev.shards {
			held[b.id] = b
		}
	}
	seen := make(map[string]bool, len(root.Shards))
	total := 0
	for _, ref := range root.Shards {
		cs, ok := parts[ref.ID]
		if !ok {
			return nil, nil, fmt.Errorf("consumer shard %s is missing", ref.ID)
		}
		if seen[ref.ID] {
			return nil, nil, fmt.Errorf("consumer shard %s is named twice", ref.ID)
		}
		seen[ref.ID] = true
		b := held[ref.ID]
		if b != nil && b.sha256 == ref.SHA256 && len(b.consumers) == len(cs) {
			st.reused += len(cs)
		} else {
			if b, err = buildShard(cfg, check, ref, cs); err != nil {
				return nil, nil, err
			}
			st.built += len(cs)
		}
		st.shards = append(st.shards, b)
		total += len(cs)
	}
	if err := st.index(prev); err != nil {
		return nil, nil, err
	}
	cfg.Consumers = make([]config.Consumer, 0, total)
	for _, b := range st.shards {
		cfg.Consumers = append(cfg.Consumers, b.consumers...)
	}
	return cfg, st, nil
}

// buildShard checks one shard's consumers against the root and builds
// them.
func buildShard(cfg *config.Config, check *config.ShardCheck, ref config.ShardRef, cs []config.Consumer) (*builtShard, error) {
	if err := check.Consumers(cs); err != nil {
		return nil, fmt.Errorf("consumer shard %s: %w", ref.ID, err)
	}
	b := &builtShard{id: ref.ID, sha256: ref.SHA256, consumers: cs, infos: make([]*consumer, len(cs)),
		keys: make(map[string][]keyEntry, len(cs))}
	for i := range cs {
		info := newConsumer(&cs[i])
		b.infos[i] = info
		for _, k := range cs[i].Keys {
			b.keys[k.ID] = append(b.keys[k.ID], info.keyEntry(k))
		}
		for _, k := range cs[i].BYOK {
			if err := b.addBYOK(cfg, &cs[i], k); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// addBYOK builds the adapter of a consumer's own key, as buildBYOK does
// for an unsharded config.
func (b *builtShard) addBYOK(cfg *config.Config, cs *config.Consumer, k config.BYOKKey) error {
	for i := range cfg.Providers {
		if cfg.Providers[i].Name != k.Provider {
			continue
		}
		p := cfg.Providers[i]
		p.APIKey = k.APIKey
		a, err := providers.New(&p)
		if err != nil {
			return fmt.Errorf("consumer %q: byok for %q: %w", cs.Name, k.Provider, err)
		}
		if b.byok == nil {
			b.byok = map[string]map[string]providers.Adapter{}
		}
		if b.byok[cs.Name] == nil {
			b.byok[cs.Name] = map[string]providers.Adapter{}
		}
		b.byok[cs.Name][k.Provider] = a
		b.redact = append(b.redact, byokSecret{provider: k.Provider, key: k.APIKey})
		return nil
	}
	return fmt.Errorf("consumer %q: byok: unknown provider %q", cs.Name, k.Provider)
}

// index makes st's merged indexes: prev's, less the shards that left or
// changed, plus those that came; or anew when that would move more than
// half of the consumers. A name or key hash two shards hold is refused,
// as Validate refuses it in an assembled config.
func (st *shardState) index(prev *shardState) error {
	now, was := map[*builtShard]bool{}, map[*builtShard]bool{}
	for _, b := range st.shards {
		now[b] = true
	}
	var gone, came []*builtShard
	moved, total := 0, 0
	if prev != nil {
		for _, b := range prev.shards {
			was[b] = true
			if !now[b] {
				gone = append(gone, b)
				moved += len(b.consumers)
			}
		}
	}
	for _, b := range st.shards {
		total += len(b.consumers)
		if !was[b] {
			came = append(came, b)
			moved += len(b.consumers)
		}
	}
	if prev == nil || moved > total/2 {
		st.byID = make(map[string][]keyEntry, total)
		st.names = make(map[string]string, total)
		st.owners = make(map[string]string, total)
		came = st.shards
	} else {
		st.byID, st.names, st.owners = maps.Clone(prev.byID), maps.Clone(prev.names), maps.Clone(prev.owners)
		for _, b := range gone {
			st.remove(b)
		}
	}
	for _, b := range came {
		if err := st.add(b); err != nil {
			return err
		}
	}
	return nil
}

// remove takes a shard's consumers out of the merged indexes. The key
// lists are copied, never changed: the previous snapshot still reads them.
func (st *shardState) remove(b *builtShard) {
	for i := range b.consumers {
		cs := &b.consumers[i]
		if st.names[cs.Name] == b.id {
			delete(st.names, cs.Name)
		}
		for _, k := range cs.Keys {
			if st.owners[k.SHA256] == b.id {
				delete(st.owners, k.SHA256)
			}
		}
	}
	for id, mine := range b.keys {
		var rest []keyEntry
		for _, e := range st.byID[id] {
			if !holds(mine, e.consumer) {
				rest = append(rest, e)
			}
		}
		if len(rest) == 0 {
			delete(st.byID, id)
		} else {
			st.byID[id] = rest
		}
	}
}

func holds(entries []keyEntry, c *consumer) bool {
	for i := range entries {
		if entries[i].consumer == c {
			return true
		}
	}
	return false
}

// add puts a shard's consumers into the merged indexes; a name or key
// hash another shard holds is an error.
func (st *shardState) add(b *builtShard) error {
	for i := range b.consumers {
		cs := &b.consumers[i]
		if other, dup := st.names[cs.Name]; dup {
			return fmt.Errorf("consumer %q is in shards %s and %s", cs.Name, other, b.id)
		}
		st.names[cs.Name] = b.id
		for _, k := range cs.Keys {
			if other, dup := st.owners[k.SHA256]; dup {
				return fmt.Errorf("a key of consumer %q (shard %s) is also in shard %s", cs.Name, b.id, other)
			}
			st.owners[k.SHA256] = b.id
		}
	}
	for id, mine := range b.keys {
		if l, ok := st.byID[id]; ok {
			st.byID[id] = append(l[:len(l):len(l)], mine...)
		} else {
			st.byID[id] = mine
		}
	}
	return nil
}

// authIndex is the index of cfg (assembled by assembleShards) over st's
// built consumers.
func (st *shardState) authIndex(cfg *config.Config, now func() time.Time, prev *authIndex) *authIndex {
	idx := newAuthBase(cfg, now, prev)
	idx.byID = st.byID
	idx.consumers = make([]*consumer, 0, len(cfg.Consumers))
	for _, b := range st.shards {
		idx.consumers = append(idx.consumers, b.infos...)
	}
	return idx
}

// useBYOK gives sn the shards' own-key adapters and adds their keys to
// their providers' redactions.
func (st *shardState) useBYOK(sn *snapshot) error {
	for _, b := range st.shards {
		for name, m := range b.byok {
			if sn.byok == nil {
				sn.byok = map[string]map[string]providers.Adapter{}
			}
			sn.byok[name] = m
		}
		for _, r := range b.redact {
			up, ok := sn.upstreams[r.provider]
			if !ok {
				return fmt.Errorf("byok: unknown provider %q", r.provider)
			}
			up.redacted = append(up.redacted, r.key)
		}
	}
	return nil
}
