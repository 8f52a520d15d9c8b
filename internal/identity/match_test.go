package identity_test

import (
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/identity"
)

func TestResolveMostSpecificWins(t *testing.T) {
	consumers := []config.Consumer{
		{Name: "z-group", Identities: []config.IdentityMatch{{Group: "eng"}}},
		{Name: "a-group", Identities: []config.IdentityMatch{{Group: "eng"}, {Group: "ops"}}},
		{Name: "mail", Identities: []config.IdentityMatch{{Email: "Bob@Example.com"}}},
		{Name: "sub-other-iss", Identities: []config.IdentityMatch{{Issuer: "https://other", Subject: "alice"}}},
		{Name: "sub", Identities: []config.IdentityMatch{{Issuer: "https://idp", Subject: "alice"}}},
	}
	ix := identity.NewIndex(consumers)
	for _, tc := range []struct {
		id   identity.Identity
		want string
		kind identity.Kind
	}{
		{identity.Identity{Issuer: "https://idp", Subject: "alice", Email: "bob@example.com", Groups: []string{"eng"}}, "sub", identity.BySubject},
		{identity.Identity{Issuer: "https://idp", Subject: "bob", Email: "bob@example.com", Groups: []string{"eng"}}, "mail", identity.ByEmail},
		{identity.Identity{Issuer: "https://idp", Subject: "carol", Groups: []string{"eng"}}, "a-group", identity.ByGroup},
		{identity.Identity{Issuer: "https://idp", Subject: "dan", Groups: []string{"ops", "sales"}}, "a-group", identity.ByGroup},
		{identity.Identity{Issuer: "https://third", Subject: "alice"}, "", 0},
	} {
		i, k := ix.Resolve(&tc.id)
		got := ""
		if i >= 0 {
			got = consumers[i].Name
		}
		if got != tc.want || (i >= 0 && k != tc.kind) {
			t.Errorf("%+v: %q by %v, want %q by %v", tc.id, got, k, tc.want, tc.kind)
		}
	}
	sh := identity.Shadowed(consumers)
	if len(sh) != 1 || sh[0].Consumer != "z-group" || sh[0].Winner != "a-group" {
		t.Fatalf("shadowed %+v, want z-group lost to a-group", sh)
	}
}
