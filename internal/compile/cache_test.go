package compile_test

import (
	"maps"
	"reflect"
	"testing"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
)

// With a consumer cache, every compile gives what a compile without one
// gives, through changes to a Consumer's spec, to its key Secret, to a
// TokenPolicy it names (the compile context) and a duplicate key.
func TestConsumerCacheCompilesTheSame(t *testing.T) {
	in := scaleInput(300)
	cached := in
	cached.Cache = compile.NewConsumerCache()
	check := func(step string) {
		t.Helper()
		want := compile.Compile(in)
		cached.Consumers, cached.Secrets, cached.Policies = in.Consumers, in.Secrets, in.Policies
		got := compile.Compile(cached)
		if !reflect.DeepEqual(got.Config, want.Config) {
			t.Fatalf("%s: the cached compile's config differs", step)
		}
		if !reflect.DeepEqual(got.Problems, want.Problems) {
			t.Fatalf("%s: problems %+v, want %+v", step, got.Problems, want.Problems)
		}
		if len(got.ConsumerKeys) != len(got.Config.Consumers) {
			t.Fatalf("%s: %d consumer keys for %d consumers", step, len(got.ConsumerKeys), len(got.Config.Consumers))
		}
	}
	check("cold")
	check("warm")
	before := compile.Compile(cached).ConsumerKeys

	// A spec change moves the generation.
	cs := in.Consumers[10].DeepCopy()
	cs.Spec.Disabled, cs.Generation = true, 2
	in.Consumers = append([]v1alpha1.Consumer(nil), in.Consumers...)
	in.Consumers[10] = *cs
	check("spec changed")
	if after := compile.Compile(cached).ConsumerKeys; after[10] == before[10] || after[11] != before[11] {
		t.Fatalf("keys: changed consumer %q→%q, neighbour %q→%q", before[10], after[10], before[11], after[11])
	}

	// A new key in the Secret moves its resourceVersion.
	name := "c000020-byok"
	sec := in.Secrets[name].DeepCopy()
	sec.Data["key"], sec.ResourceVersion = []byte("sk-rotated"), "2"
	in.Secrets = maps.Clone(in.Secrets)
	in.Secrets[name] = sec
	check("key changed")

	// Two consumers with one key: the later one is refused, cache or not.
	dup := in.Secrets["c000031-byok"].DeepCopy()
	dup.Data["key"], dup.ResourceVersion = []byte("sk-c000030"), "2"
	in.Secrets["c000031-byok"] = dup
	check("duplicate key")

	// The policy every consumer names goes: every consumer is refused.
	in.Policies = nil
	check("policy deleted")
	in.Policies = scaleInput(1).Policies
	check("policy back")

	// A Secret deleted: its consumer is refused with a problem.
	delete(in.Secrets, "c000040-byok")
	check("secret deleted")
}
