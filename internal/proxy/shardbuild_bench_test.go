package proxy

import (
	"io"
	"log/slog"
	"testing"

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
