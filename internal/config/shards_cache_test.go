package config_test

import (
	"bytes"
	"fmt"
	"testing"

	. "github.com/tollgate-dev/tollgate/internal/config"
)

// keysOf gives each consumer a key standing for its compiled version
// (compile.Result.ConsumerKeys); version bumps one consumer's.
func keysOf(c *Config, version map[string]int) []string {
	keys := make([]string, len(c.Consumers))
	for i, cs := range c.Consumers {
		keys[i] = fmt.Sprintf("ctx|%s/g%d", cs.Name, version[cs.Name])
	}
	return keys
}

// SplitCached writes what Split writes, byte for byte, and after a change
// to one consumer marshals only that consumer's shard.
func TestSplitCachedMarshalsOnlyTheChangedShard(t *testing.T) {
	c := manyConsumers(t, 10_000)
	sc := NewShardCache()
	version := map[string]int{}
	same := func(step string, c *Config) *Distribution {
		t.Helper()
		got, err := SplitCached(c, keysOf(c, version), sc)
		if err != nil {
			t.Fatal(err)
		}
		want := split(t, c)
		if !bytes.Equal(got.Root, want.Root) || len(got.Shards) != len(want.Shards) {
			t.Fatalf("%s: the cached split's root or shard count differs from Split's", step)
		}
		for i := range want.Shards {
			if got.Shards[i].Ref != want.Shards[i].Ref || !bytes.Equal(got.Shards[i].Data, want.Shards[i].Data) {
				t.Fatalf("%s: shard %s differs from Split's", step, want.Shards[i].Ref.ID)
			}
		}
		return got
	}
	same("cold", c)
	if sc.Marshalled != 16 || sc.Reused != 0 {
		t.Fatalf("cold: %d marshalled, %d reused; want 16, 0", sc.Marshalled, sc.Reused)
	}
	same("unchanged", c)
	if sc.Marshalled != 0 || sc.Reused != 16 {
		t.Fatalf("unchanged: %d marshalled, %d reused; want 0, 16", sc.Marshalled, sc.Reused)
	}
	// One consumer's entry changes (a new key for it).
	mod := *c
	mod.Consumers = append([]Consumer(nil), c.Consumers...)
	mod.Consumers[4321].Disabled = true
	version[mod.Consumers[4321].Name]++
	same("one changed", &mod)
	if sc.Marshalled != 1 || sc.Reused != 15 {
		t.Fatalf("one changed: %d marshalled, %d reused; want 1, 15", sc.Marshalled, sc.Reused)
	}
	// One more consumer, one fewer: one shard each.
	ins := mod
	ins.Consumers = append(append([]Consumer(nil), mod.Consumers...), testConsumer("zz-new"))
	same("inserted", &ins)
	if sc.Marshalled != 1 {
		t.Fatalf("inserted: %d marshalled, want 1", sc.Marshalled)
	}
	del := ins
	del.Consumers = append(append([]Consumer(nil), ins.Consumers[:10]...), ins.Consumers[11:]...)
	same("deleted", &del)
	if sc.Marshalled != 1 {
		t.Fatalf("deleted: %d marshalled, want 1", sc.Marshalled)
	}
	// A consumer whose entry cannot be known unchanged ("") makes its
	// shard marshalled, and the result is still Split's.
	keys := keysOf(&del, version)
	keys[77] = ""
	if _, err := SplitCached(&del, keys, sc); err != nil {
		t.Fatal(err)
	}
	if sc.Marshalled != 1 {
		t.Fatalf("unknown key: %d marshalled, want 1", sc.Marshalled)
	}
}
