package proxy

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// BenchmarkShardSwap is a gateway of 100,000 consumers (128 shards)
// serving a one-Consumer change: OneShard is the swap building the one
// changed shard, Whole the same swap assembled and built whole (every
// load before the per-shard build), Cold a fresh gateway's first load.
//
//	go test -run '^$' -bench ShardSwap -benchtime 10x ./internal/proxy/
func BenchmarkShardSwap(b *testing.B) {
	f := newShardedFixture(b, 100_000)
	one := split(b, f.cfg)
	f.cfg.Consumers = append(f.cfg.Consumers, f.consumer(b, "zz-new", 1))
	two := split(b, f.cfg)
	b.Logf("%d shards", len(one.shards))
	pick := func(i int) *stored {
		if i%2 == 0 {
			return two
		}
		return one
	}
	b.Run("OneShard", func(b *testing.B) {
		s := quietServer(b)
		if err := s.LoadParts(one.root, one.shards, one.hash); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			st := pick(i)
			if err := s.LoadParts(st.root, st.shards, st.hash); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if p := s.snap.Load().parts; p == nil || p.built >= p.reused {
			b.Fatal("the swap was not built per shard")
		}
	})
	b.Run("Whole", func(b *testing.B) {
		s := quietServer(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			st := pick(i)
			cfg, err := config.Assemble(st.root, st.shards)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.load(cfg, st.hash); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Cold", func(b *testing.B) {
		log := slog.New(slog.NewJSONHandler(io.Discard, nil))
		b.ReportAllocs()
		for range b.N {
			s := New(Options{Logger: log})
			if err := s.LoadParts(one.root, one.shards, one.hash); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			s.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkShardedKeyLookup authenticates keys of a sharded config's
// merged index, 1,000 consumers' keys in turn (the active ones; visiting
// every key at random measures the CPU caches, not the index): the same
// map lookup and hash compare at 10,000 and 100,000 consumers.
//
//	go test -run '^$' -bench ShardedKeyLookup ./internal/proxy/
func BenchmarkShardedKeyLookup(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			f := newShardedFixture(b, n)
			st := split(b, f.cfg)
			s := quietServer(b)
			if err := s.LoadParts(st.root, st.shards, st.hash); err != nil {
				b.Fatal(err)
			}
			auth := s.snap.Load().auth
			disabled := map[string]bool{}
			for _, c := range f.cfg.Consumers {
				disabled[c.Name] = c.Disabled
			}
			keys := make([]string, 0, 1000)
			for k, name := range f.keys {
				// The fixture's keys that share a lookup id on purpose
				// are left out: a lookup compares every key of its id.
				if !disabled[name] && !strings.HasPrefix(k, "tg-dupid") && len(keys) < 1000 {
					keys = append(keys, k)
				}
			}
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, ok := auth.authenticateKey(keys[i%len(keys)], now); !ok {
					b.Fatal("a key of an enabled consumer is refused")
				}
			}
		})
	}
}
