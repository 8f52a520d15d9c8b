package identity

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/identity/idptest"
)

func benchVerifier(b *testing.B) (*Verifier, string) {
	idp := idptest.Start(b)
	cfg := config.Issuer{Issuer: idp.URL, Audiences: []string{"tollgate"}, AllowPrivateNetwork: true}
	cfg.Default()
	v := New([]config.Issuer{cfg}, time.Now)
	tok := idp.Sign(b, idptest.Claims{Subject: "alice", Audience: "tollgate", Groups: []string{"eng"}})
	if _, err := v.Verify(context.Background(), tok); err != nil {
		b.Fatal(err)
	}
	return v, tok
}

// BenchmarkVerifyCached is a request's JWT check: a cache hit.
func BenchmarkVerifyCached(b *testing.B) {
	v, tok := benchVerifier(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUncached is the first use of a token: parsing and an
// RS256 signature check (the key set is already held).
func BenchmarkVerifyUncached(b *testing.B) {
	v, tok := benchVerifier(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		v.cache = newCache(DefaultCacheSize)
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
