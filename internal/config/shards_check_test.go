package config_test

import (
	"strings"
	"testing"

	. "github.com/tollgate-dev/tollgate/internal/config"
)

// checkByShard is what a gateway checking a shard at a time decides:
// CheckRoot, then every shard's consumers (names and keys across shards
// are the caller's; these configs have none twice across shards).
func checkByShard(t *testing.T, d *Distribution) error {
	t.Helper()
	root, err := ParseRoot(d.Root)
	if err != nil {
		t.Fatal(err)
	}
	r, err := CheckRoot(root)
	if err != nil {
		return err
	}
	k, err := NewShardCheck(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Shards {
		cs, err := ParseShard(s.Ref, s.Data)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Consumers(cs); err != nil {
			return err
		}
	}
	return nil
}

// A config checked a shard at a time is refused exactly when its whole
// assembly is.
func TestShardCheckAgreesWithValidate(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(c *Config)
		bad    bool
	}{
		{"valid", func(*Config) {}, false},
		{"an unknown policy", func(c *Config) { c.Consumers[1234].Policies = []string{"nope"} }, true},
		{"a key hash in capitals", func(c *Config) {
			k := &c.Consumers[7].Keys[0]
			k.SHA256 = strings.ToUpper(k.SHA256)
		}, true},
		{"two keys of one consumer alike", func(c *Config) {
			c.Consumers[9].Keys = append(c.Consumers[9].Keys, c.Consumers[9].Keys[0])
		}, true},
		{"a capture out of range", func(c *Config) { c.Consumers[2999].Capture = &BodyCapture{MaxBytes: -1} }, true},
		{"an own key of an unknown provider", func(c *Config) {
			c.Consumers[5].BYOK = []BYOKKey{{Provider: "nope", APIKey: "sk-x"}}
		}, true},
		{"an own key of the mock provider", func(c *Config) {
			c.Consumers[5].BYOK = []BYOKKey{{Provider: "mock", APIKey: "sk-x"}}
		}, true},
		{"an identity with no issuer trusted", func(c *Config) {
			c.Consumers[6].Identities = []IdentityMatch{{Subject: "alice"}}
		}, true},
		{"a bad allowed model", func(c *Config) { c.Consumers[8].AllowedModels = []string{"has space"} }, true},
		{"a bad root", func(c *Config) { c.Providers[0].Name = "" }, true},
	} {
		cfg := manyConsumers(t, 3000)
		c.change(cfg)
		d := split(t, cfg)
		if len(d.Shards) < 2 {
			t.Fatalf("%s: %d shards", c.name, len(d.Shards))
		}
		root, err := ParseRoot(d.Root)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]Consumer{}
		for _, s := range d.Shards {
			if got[s.Ref.ID], err = ParseShard(s.Ref, s.Data); err != nil {
				t.Fatal(err)
			}
		}
		_, whole := Assemble(root, got)
		byShard := checkByShard(t, d)
		if (whole != nil) != c.bad || (byShard != nil) != c.bad {
			t.Fatalf("%s: whole assembly %v; by shard %v; want refused %v", c.name, whole, byShard, c.bad)
		}
	}
}

// The digest covers the policy names, the issuers and the providers, and
// nothing else of the root.
func TestShardCheckDigest(t *testing.T) {
	digest := func(change func(c *Config)) [32]byte {
		t.Helper()
		c := manyConsumers(t, 10)
		change(c)
		c.Consumers = nil
		c.Default()
		k, err := NewShardCheck(c)
		if err != nil {
			t.Fatal(err)
		}
		return k.Digest()
	}
	base := digest(func(*Config) {})
	for _, c := range []struct {
		name   string
		change func(c *Config)
		same   bool
	}{
		{"a route more", func(c *Config) { c.Routes = append(c.Routes, Route{Model: "other", Backends: c.Routes[0].Backends}) }, true},
		{"the drain timeout", func(c *Config) { c.Server.DrainTimeout = D(3e9) }, true},
		{"a policy's limits", func(c *Config) { c.Policies[0].Limits[0].Tokens = 5 }, true},
		{"a policy renamed", func(c *Config) { c.Policies[0].Name = "other" }, false},
		{"a provider's endpoint", func(c *Config) { c.Providers[0].Endpoint = "https://mock.example/v1" }, false},
		{"an issuer", func(c *Config) { c.Auth.Issuers = []Issuer{{Issuer: "https://idp.example", Audiences: []string{"gw"}}} }, false},
	} {
		if got := digest(c.change); (got == base) != c.same {
			t.Fatalf("%s: digest the same %v, want %v", c.name, got == base, c.same)
		}
	}
}
