package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
)

// status asks the gateway for /v1/models with key and returns the HTTP
// status ("" when it is want).
func statusIs(key string, want int) func() string {
	return func() string {
		c := openaiClient(key)
		_, err := c.Models.List(context.Background())
		got := http.StatusOK
		var apiErr *openai.Error
		if errors.As(err, &apiErr) {
			got = apiErr.StatusCode
		} else if err != nil {
			return err.Error()
		}
		if got != want {
			return fmt.Sprintf("status %d, want %d", got, want)
		}
		return ""
	}
}

func secretKey(t *testing.T, name string) string {
	t.Helper()
	var key string
	eventually(t, time.Minute, "key Secret "+name, func() string {
		out, err := kubectlErr("get", "secret", name, "-o", "jsonpath={.data.apiKey}")
		if err != nil || out == "" {
			return "not there yet: " + out
		}
		key = out
		return ""
	})
	dec, err := decodeB64(key)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

// generatedKeyConsumer applies a Consumer name of gateway main with a
// generated key and the given token policies, deletes it and its key
// Secret at cleanup, and returns its key.
func generatedKeyConsumer(t *testing.T, name string, policies ...string) string {
	t.Helper()
	kubectlApply(t, fmt.Sprintf(`
apiVersion: ai.tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: %s, namespace: default}
spec:
  gateways: [main]
  credentials: {generate: {}}
  tokenPolicies: [%s]
`, name, strings.Join(policies, ", ")))
	cleanup(t, "consumer/"+name, "secret/"+name+"-key")
	return secretKey(t, name+"-key")
}

// TestRevokedKeyStopsWorking: disabling a consumer, and regenerating its
// key by deleting the Secret, reach the gateway within seconds.
func TestRevokedKeyStopsWorking(t *testing.T) {
	name := unique("revoke-me")
	key := generatedKeyConsumer(t, name)
	eventually(t, 15*time.Second, "a new consumer's key works", statusIs(key, http.StatusOK))

	kubectl(t, "delete", "secret", name+"-key")
	newKey := ""
	eventually(t, 30*time.Second, "the key Secret is regenerated with a new key", func() string {
		k, err := kubectlErr("get", "secret", name+"-key", "-o", "jsonpath={.data.apiKey}")
		if err != nil || k == "" {
			return "missing"
		}
		d, _ := decodeB64(k)
		if d == key {
			return "same key"
		}
		newKey = d
		return ""
	})
	eventually(t, 15*time.Second, "the old key stops working", statusIs(key, http.StatusUnauthorized))
	eventually(t, 15*time.Second, "the new key works", statusIs(newKey, http.StatusOK))

	kubectl(t, "patch", "consumer", name, "--type=merge", "-p", `{"spec":{"disabled":true}}`)
	eventually(t, 15*time.Second, "a disabled consumer is refused", statusIs(newKey, http.StatusUnauthorized))
}

// TestTokenPolicyLimitIsHit: a request limit of 2 per minute answers the
// third request with 429 and Retry-After.
func TestTokenPolicyLimitIsHit(t *testing.T) {
	policy, consumer := unique("two-per-minute"), unique("limited")
	kubectlApply(t, fmt.Sprintf(`
apiVersion: ai.tollgate.dev/v1alpha1
kind: TokenPolicy
metadata: {name: %s, namespace: default}
spec:
  limits: [{window: 1m, requests: 2}]
`, policy))
	cleanup(t, "tokenpolicy/"+policy)
	key := generatedKeyConsumer(t, consumer, policy)
	c := openaiClient(key)
	params := openai.ChatCompletionNewParams{Model: "mock-small",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count me")}}
	eventually(t, 15*time.Second, "the limited consumer is served", func() string {
		if _, err := c.Chat.Completions.New(context.Background(), params); err != nil {
			return err.Error()
		}
		return ""
	})
	var apiErr *openai.Error
	for i := 0; i < 3; i++ {
		if _, err := c.Chat.Completions.New(context.Background(), params); errors.As(err, &apiErr) {
			break
		}
	}
	if apiErr == nil || apiErr.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("want a 429 within three more requests, got %v", apiErr)
	}
	if ra := apiErr.Response.Header.Get("Retry-After"); ra == "" {
		t.Error("429 without Retry-After")
	}
	if !strings.Contains(apiErr.Message, policy) {
		t.Errorf("the 429 should name the policy: %q", apiErr.Message)
	}
	if n := kubectl(t, "get", "tp", policy, "-o", "jsonpath={.status.consumers}"); n != "1" {
		t.Errorf("TokenPolicy status.consumers = %q, want 1", n)
	}
}

// TestMissingProviderSecretIsReported: the OpenAI sample needs Secret
// openai; until it exists the provider says so, and creating it heals.
func TestMissingProviderSecretIsReported(t *testing.T) {
	kubectl(t, "apply", "--server-side", "-f", "../../config/samples/ai_v1alpha1_modelprovider_openai.yaml")
	cleanup(t, "modelprovider/openai", "secret/openai")
	kubectl(t, "wait", "--for=condition=ResolvedRefs=False", "mp/openai", "--timeout=60s")
	reason := kubectl(t, "get", "mp", "openai", "-o", `jsonpath={.status.conditions[?(@.type=="ResolvedRefs")].reason}`)
	msg := kubectl(t, "get", "mp", "openai", "-o", `jsonpath={.status.conditions[?(@.type=="ResolvedRefs")].message}`)
	if reason != "SecretNotFound" || !strings.Contains(msg, "openai") {
		t.Errorf("ResolvedRefs reason %q message %q", reason, msg)
	}
	kubectl(t, "create", "secret", "generic", "openai", "--from-literal=apiKey=sk-e2e-not-a-real-key")
	kubectl(t, "wait", "--for=condition=ResolvedRefs=True", "mp/openai", "--timeout=60s")
}
