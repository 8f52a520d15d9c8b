package identity_test

import (
	"slices"
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
		// Sorts first, but of any issuer: the issuer-bound match wins.
		{Name: "a-any-sub", Identities: []config.IdentityMatch{{Subject: "alice"}}},
		// The same match as mail (case aside): mail sorts first.
		{Name: "mail2", Identities: []config.IdentityMatch{{Email: "bob@example.COM"}, {Group: "ops"}, {Group: "solo"}}},
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
		{identity.Identity{Issuer: "https://third", Subject: "alice"}, "a-any-sub", identity.BySubject},
		{identity.Identity{Issuer: "https://other", Subject: "alice"}, "sub-other-iss", identity.BySubject},
		{identity.Identity{Issuer: "https://third", Subject: "erin", Groups: []string{"solo", "eng"}}, "a-group", identity.ByGroup},
		{identity.Identity{Issuer: "https://third", Subject: "erin", Groups: []string{"solo"}}, "mail2", identity.ByGroup},
		{identity.Identity{Issuer: "https://third", Subject: "frank"}, "", 0},
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
	want := []identity.Shadow{
		{Consumer: "z-group", Message: `Another Consumer names the same identity match and wins it (its name sorts first): group "eng" of any issuer goes to Consumer "a-group". Remove the match from one of the two.`},
		{Consumer: "mail2", Message: `Another Consumer names the same identity match and wins it (its name sorts first): email "bob@example.com" of any issuer goes to Consumer "mail"; group "ops" of any issuer goes to Consumer "a-group". Remove the match from one of the two.`},
	}
	if !slices.Equal(sh, want) {
		t.Fatalf("shadowed:\n%+v\nwant\n%+v", sh, want)
	}
}
