package config_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"

	. "github.com/tollgate-dev/tollgate/internal/config"
)

// manyConsumers is the minimal config with n consumers of one key each,
// named c000000…, as compile writes them (sorted by name).
func manyConsumers(t testing.TB, n int) *Config {
	t.Helper()
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	c.Policies = []Policy{{Name: "team", Limits: []Limit{{Window: D(60e9), Tokens: 1000}}}}
	c.Consumers = make([]Consumer, n)
	for i := range c.Consumers {
		c.Consumers[i] = testConsumer(fmt.Sprintf("c%06d", i))
	}
	return c
}

func testConsumer(name string) Consumer {
	sum := sha256.Sum256([]byte("key of " + name))
	h := hex.EncodeToString(sum[:])
	return Consumer{Name: name, Keys: []Key{{ID: "h" + h[:16], SHA256: h}}, Policies: []string{"team"}}
}

// refs maps shard id → hash.
func refs(d *Distribution) map[string]string {
	out := map[string]string{}
	for _, s := range d.Shards {
		out[s.Ref.ID] = s.Ref.SHA256
	}
	return out
}

// changed lists the shard ids whose hash differs or that one side lacks.
func changed(a, b map[string]string) []string {
	var out []string
	for id, h := range a {
		if b[id] != h {
			out = append(out, id)
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

func split(t testing.TB, c *Config) *Distribution {
	t.Helper()
	d, err := Split(c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// assemble reads a distribution back as a proxy does.
func assemble(t testing.TB, d *Distribution) *Config {
	t.Helper()
	root, err := ParseRoot(d.Root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Consumer{}
	for _, s := range d.Shards {
		cs, err := ParseShard(s.Ref, s.Data)
		if err != nil {
			t.Fatal(err)
		}
		got[s.Ref.ID] = cs
	}
	c, err := Assemble(root, got)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A small config stays one document, exactly what Marshal writes.
func TestSplitSmallIsInline(t *testing.T) {
	c := manyConsumers(t, 1)
	d := split(t, c)
	whole, _ := Marshal(c)
	if len(d.Shards) != 0 || string(d.Root) != string(whole) || d.Hash() != Hash(whole) {
		t.Fatalf("one consumer: %d shards, root %d bytes; want the whole document inline", len(d.Shards), len(d.Root))
	}
	if got := assemble(t, d); !reflect.DeepEqual(got.Consumers, c.Consumers) {
		t.Fatalf("consumers %+v", got.Consumers)
	}
}

// At 100,000 consumers no object is near the API server's 1 MiB limit,
// and the shards read back to the same consumers.
func TestSplitHundredThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 consumers")
	}
	c := manyConsumers(t, 100_000)
	d := split(t, c)
	if len(d.Root) > InlineLimit {
		t.Errorf("root is %d bytes", len(d.Root))
	}
	if want := 128; len(d.Shards) != want {
		t.Errorf("%d shards, want %d (2^7 buckets of about %d)", len(d.Shards), want, ShardTarget)
	}
	largest := 0
	for _, s := range d.Shards {
		largest = max(largest, len(s.Data))
	}
	if largest > MaxShardBytes {
		t.Errorf("largest shard is %d bytes, over %d", largest, MaxShardBytes)
	}
	t.Logf("100,000 consumers: root %d bytes, %d shards, largest %d bytes", len(d.Root), len(d.Shards), largest)
	root, err := ParseRoot(d.Root)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for i, r := range root.Shards {
		if r != d.Shards[i].Ref {
			t.Fatalf("root names %+v, shard %d is %+v", r, i, d.Shards[i].Ref)
		}
		count += r.Consumers
	}
	if count != len(c.Consumers) {
		t.Fatalf("shards hold %d consumers, want %d", count, len(c.Consumers))
	}
}

// Adding or removing one consumer changes the shard it hashes to and no
// other, wherever it sorts.
func TestShardBoundariesStable(t *testing.T) {
	c := manyConsumers(t, 6000)
	base := refs(split(t, c))
	bits := ShardBits(len(c.Consumers))
	for _, name := range []string{"a-first", "c003000x", "zz-last"} {
		ins := *c
		ins.Consumers = append(append([]Consumer(nil), c.Consumers...), testConsumer(name))
		got := changed(base, refs(split(t, &ins)))
		if want := []string{ShardID(bits, ShardOf(name, bits))}; !reflect.DeepEqual(got, want) {
			t.Errorf("inserting %s changed shards %v, want %v", name, got, want)
		}
	}
	for _, i := range []int{0, 2345, 5999} {
		del := *c
		del.Consumers = append(append([]Consumer(nil), c.Consumers[:i]...), c.Consumers[i+1:]...)
		name := c.Consumers[i].Name
		got := changed(base, refs(split(t, &del)))
		if want := []string{ShardID(bits, ShardOf(name, bits))}; !reflect.DeepEqual(got, want) {
			t.Errorf("deleting %s changed shards %v, want %v", name, got, want)
		}
	}
	mod := *c
	mod.Consumers = append([]Consumer(nil), c.Consumers...)
	mod.Consumers[777].Disabled = true
	if got := changed(base, refs(split(t, &mod))); len(got) != 1 {
		t.Errorf("disabling one consumer changed shards %v", got)
	}
}

// The bucket function is part of the stored format: changing it moves
// every consumer at the next operator upgrade. Golden values.
func TestShardOfGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		bits int
		want string
	}{
		{"demo", 0, "s0-0000"},
		{"demo", 7, "s7-0004"},
		{"team-a", 7, "s7-0034"},
		{"ns2/app", 10, "s10-0268"},
	} {
		if got := ShardID(tc.bits, ShardOf(tc.name, tc.bits)); got != tc.want {
			t.Errorf("%s in 2^%d: %s, want %s", tc.name, tc.bits, got, tc.want)
		}
	}
}

// Consumers far larger than average (64 long model globs each) get more
// buckets, so no shard exceeds the bound.
func TestSplitLargeConsumersGrowBuckets(t *testing.T) {
	c := manyConsumers(t, 300)
	for i := range c.Consumers {
		for j := range 64 {
			c.Consumers[i].AllowedModels = append(c.Consumers[i].AllowedModels, fmt.Sprintf("%s-%02d-%s*", c.Consumers[i].Name, j, strings.Repeat("m", 90)))
		}
	}
	d := split(t, c)
	if len(d.Shards) < 2 {
		t.Fatalf("%d shards", len(d.Shards))
	}
	for _, s := range d.Shards {
		if len(s.Data) > MaxShardBytes {
			t.Errorf("shard %s is %d bytes", s.Ref.ID, len(s.Data))
		}
	}
	if got := assemble(t, d); len(got.Consumers) != 300 {
		t.Fatalf("%d consumers", len(got.Consumers))
	}
}

// A shard that does not match the root's reference is refused, and a
// root is not served without its shards.
func TestShardRefusals(t *testing.T) {
	d := split(t, manyConsumers(t, 3000))
	s := d.Shards[0]
	if _, err := ParseShard(s.Ref, append([]byte(" "), s.Data...)); err == nil || !strings.Contains(err.Error(), "hash") {
		t.Errorf("changed shard: %v", err)
	}
	wrong := s.Ref
	wrong.Consumers++
	if _, err := ParseShard(wrong, s.Data); err == nil {
		t.Error("wrong count accepted")
	}
	root, err := ParseRoot(d.Root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Assemble(root, map[string][]Consumer{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing shards: %v", err)
	}
	if _, err := Parse(d.Root); err == nil || !strings.Contains(err.Error(), "shards") {
		t.Errorf("a sharded root parsed alone: %v", err)
	}
	bad := strings.Replace(string(d.Root), `"id": "s`, `"id": "../s`, 1)
	if _, err := ParseRoot([]byte(bad)); err == nil {
		t.Error("a shard id with a path accepted")
	}
}
