package config

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSecretsCoverEverySecretField: replacing what Secrets points at leaves
// no credential in the marshalled config, and nothing else is touched.
func TestSecretsCoverEverySecretField(t *testing.T) {
	c := Config{
		Providers: []Provider{
			{Name: "openai", Type: ProviderOpenAI, APIKey: "canary-key", Endpoint: "https://api.openai.com/v1"},
			{Name: "bedrock", Type: ProviderBedrock, Bedrock: &BedrockSettings{Region: "us-east-1",
				AccessKeyID: "canary-AKIA", SecretAccessKey: "canary-secret", SessionToken: "canary-token"}},
		},
		Limits:    LimitsStore{Type: StoreRedis, Redis: &Redis{Addresses: []string{"redis:6379"}, Username: "gw", Password: "canary-redis"}},
		Telemetry: Telemetry{Tracing: &Tracing{Endpoint: "https://otlp.example.com", Headers: []Header{{Name: "Authorization", Value: "canary-otlp"}}}},
	}
	r, err := json.Marshal(c.Redacted("x"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(r), "canary") {
		t.Errorf("Redacted left a secret: %s", r)
	}
	if c.Providers[0].APIKey != "canary-key" || c.Providers[1].Bedrock.SecretAccessKey != "canary-secret" || c.Limits.Redis.Password != "canary-redis" {
		t.Errorf("Redacted changed the original: %+v", c)
	}
	for _, s := range c.Secrets() {
		*s = "x"
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "canary") {
		t.Errorf("a secret is not listed by Secrets: %s", b)
	}
	if c.Providers[1].Bedrock.Region != "us-east-1" || c.Limits.Redis.Username != "gw" ||
		c.Telemetry.Tracing.Headers[0].Name != "Authorization" {
		t.Errorf("Secrets touched a field that is not secret: %+v", c)
	}
}
