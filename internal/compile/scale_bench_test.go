package compile_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
)

var thousand = int64(1000)

// scaleInput is a gateway with n Consumers bringing their own keys.
func scaleInput(n int) compile.Input {
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: "ns"} }
	in := compile.Input{
		Gateway: &v1alpha1.AIGateway{ObjectMeta: meta("gw")},
		Providers: []v1alpha1.ModelProvider{{ObjectMeta: meta("mock"),
			Spec: v1alpha1.ModelProviderSpec{Type: v1alpha1.ProviderMock, Models: []v1alpha1.ProviderModel{{Name: "m"}}}}},
		Policies: []v1alpha1.TokenPolicy{{ObjectMeta: meta("team"),
			Spec: v1alpha1.TokenPolicySpec{Limits: []v1alpha1.Limit{{Window: "1m", Tokens: &thousand}}}}},
		Secrets: map[string]*corev1.Secret{},
		Now:     time.Now(),
	}
	for i := range n {
		name := fmt.Sprintf("c%06d", i)
		// UIDs, generations and resourceVersions as the API server sets
		// them: what the consumer cache keys on.
		cm, sm := meta(name), meta(name+"-byok")
		cm.UID, cm.Generation, cm.ResourceVersion = types.UID("uid-"+name), 1, "1"
		sm.UID, sm.ResourceVersion = types.UID("uid-"+name+"-byok"), "1"
		in.Consumers = append(in.Consumers, v1alpha1.Consumer{ObjectMeta: cm, Spec: v1alpha1.ConsumerSpec{
			Credentials:   v1alpha1.ConsumerCredentials{SecretRef: &v1alpha1.SecretKeyReference{Name: v1alpha1.ObjectName(name + "-byok"), Key: "key"}},
			TokenPolicies: []v1alpha1.ObjectName{"team"},
		}})
		in.Secrets[name+"-byok"] = &corev1.Secret{ObjectMeta: sm, Data: map[string][]byte{"key": []byte("sk-" + name)}}
	}
	return in
}

// BenchmarkOneConsumerChange is what the operator does for a change to
// one Consumer of a gateway of n: compile with the gateway's consumer
// cache, then split with its shard cache (one shard marshalled). Each
// round changes the key of one consumer (its Secret's resourceVersion
// moves), a different one each time.
//
//	go test -run '^$' -bench OneConsumerChange -benchtime 5x ./internal/compile/
func BenchmarkOneConsumerChange(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		in := scaleInput(n)
		in.Cache = compile.NewConsumerCache()
		sc := config.NewShardCache()
		res := compile.Compile(in)
		if _, err := config.SplitCached(res.Config, res.ConsumerKeys, sc); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("consumers=%d", n), func(b *testing.B) {
			round := 0
			for b.Loop() {
				round++
				name := fmt.Sprintf("c%06d", (round*7919)%n)
				old := in.Secrets[name+"-byok"]
				sec := old.DeepCopy()
				sec.ResourceVersion = strconv.Itoa(round + 1)
				sec.Data["key"] = []byte(fmt.Sprintf("sk-%s-%d", name, round))
				in.Secrets[name+"-byok"] = sec
				res := compile.Compile(in)
				if _, err := config.SplitCached(res.Config, res.ConsumerKeys, sc); err != nil {
					b.Fatal(err)
				}
				if sc.Marshalled != 1 {
					b.Fatalf("%d shards marshalled, want 1", sc.Marshalled)
				}
			}
		})
	}
}

// BenchmarkCompileSplit is the operator's pure work for a gateway of
// 100,000 Consumers: compile, then split into the root and its shards
// from cold (no cache; BenchmarkOneConsumerChange is the incremental
// case).
//
//	go test -run '^$' -bench CompileSplit -benchtime 3x ./internal/compile/
func BenchmarkCompileSplit(b *testing.B) {
	for _, n := range []int{1000, 10_000, 100_000} {
		in := scaleInput(n)
		b.Run(fmt.Sprintf("consumers=%d", n), func(b *testing.B) {
			for b.Loop() {
				res := compile.Compile(in)
				if len(res.Problems) > 0 {
					b.Fatalf("problems: %+v", res.Problems[0])
				}
				if _, err := config.Split(res.Config); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
