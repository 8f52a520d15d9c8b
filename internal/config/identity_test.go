package config_test

import (
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
)

func TestValidateIssuersAndIdentities(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config.Config)
		want string
	}{
		{"http without allowPrivateNetwork", func(c *config.Config) { c.Auth.Issuers[0].Issuer = "http://idp" }, "auth.issuers[0].issuer"},
		{"no audience", func(c *config.Config) { c.Auth.Issuers[0].Audiences = nil }, "auth.issuers[0].audiences"},
		{"skew too large", func(c *config.Config) { c.Auth.Issuers[0].ClockSkew = config.D(6 * 60e9) }, "auth.issuers[0].clockSkew"},
		{"two selectors", func(c *config.Config) { c.Consumers[0].Identities[0].Email = "a@b" }, "consumers[0].identities[0]"},
		{"unknown issuer", func(c *config.Config) { c.Consumers[0].Identities[0].Issuer = "https://nope" }, "consumers[0].identities[0].issuer"},
		{"no issuers", func(c *config.Config) { c.Auth.Issuers = nil }, "consumers[0].identities"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "g"},
				Auth:      config.Auth{Issuers: []config.Issuer{{Issuer: "https://idp", Audiences: []string{"tollgate"}}}},
				Consumers: []config.Consumer{{Name: "c", Identities: []config.IdentityMatch{{Subject: "alice"}}}}}
			c.Default()
			if err := c.Validate(); err != nil {
				t.Fatalf("valid config refused: %v", err)
			}
			tc.edit(c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want+":") {
				t.Fatalf("got %v, want a problem at %s", err, tc.want)
			}
		})
	}
}
