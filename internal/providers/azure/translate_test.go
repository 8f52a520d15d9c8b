package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
)

const testKey = "azure-canary-key"

func newTestAdapter(t *testing.T) providers.Adapter {
	t.Helper()
	a, err := New(&config.Provider{Name: "z", Type: config.ProviderAzureOpenAI, Endpoint: "https://res.openai.azure.com/", APIKey: testKey,
		Headers: map[string]string{"X-Ms-Useragent": "tollgate"}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRequestGolden records method, URL, headers (key redacted after it is
// checked) and body of each upstream request.
func TestRequestGolden(t *testing.T) {
	a := newTestAdapter(t)
	providertest.EachInput(t, "request", ".json", func(t *testing.T, in string, raw []byte) {
		var c struct {
			Op     string          `json:"op"`
			Model  string          `json:"model"`
			Stream bool            `json:"stream"`
			Body   json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		op := providers.OpChat
		if c.Op == "embeddings" {
			op = providers.OpEmbeddings
		}
		req, err := a.NewRequest(context.Background(), &providers.Request{Op: op, Body: c.Body, Model: c.Model, Stream: c.Stream})
		if err != nil {
			t.Fatal(err)
		}
		if req.Header.Get("Api-Key") != testKey || req.Header.Get("Authorization") != "" {
			t.Fatalf("credential headers %v", req.Header)
		}
		req.Header.Set("Api-Key", "[redacted]")
		body, _ := io.ReadAll(req.Body)
		var out bytes.Buffer
		fmt.Fprintf(&out, "%s %s\n", req.Method, req.URL)
		keys := make([]string, 0, len(req.Header))
		for k := range req.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&out, "%s: %s\n", k, strings.Join(req.Header[k], ","))
		}
		out.WriteByte('\n')
		out.Write(providertest.Indent(t, body))
		providertest.Golden(t, providertest.GoldenName(in, ".json")+".txt", out.Bytes())
	})
}

func TestResponseGolden(t *testing.T) {
	a := newTestAdapter(t)
	providertest.EachInput(t, "response", ".json", func(t *testing.T, in string, body []byte) {
		out, usage, err := a.Response(&providers.Request{}, body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, body) {
			t.Error("Azure answers are OpenAI's: the body must pass through unchanged")
		}
		u, _ := json.Marshal(usage)
		providertest.Golden(t, providertest.GoldenName(in, ".json")+".json", providertest.Indent(t, u))
	})
}

func TestStreamGolden(t *testing.T) {
	a := newTestAdapter(t)
	providertest.SSEGolden(t, func(body io.Reader) providers.Stream {
		return a.Stream(&providers.Request{Stream: true}, body)
	})
}

func TestErrorMapping(t *testing.T) {
	a := newTestAdapter(t)
	cases := map[string]providertest.ErrorCase{
		"rate limited":   {429, http.Header{"Retry-After": {"5"}}, `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded call rate limit."}}`, 429, providers.ClassRateLimited, "429", 5 * time.Second},
		"content filter": {400, nil, `{"error":{"message":"filtered","type":null,"param":"prompt","code":"content_filter","status":400}}`, 400, providers.ClassFatal, "content_filter", 0},
		"no deployment":  {404, nil, `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}`, 404, providers.ClassFatal, "model_not_found", 0},
		"bad key":        {401, nil, `{"error":{"code":"401","message":"Access denied due to invalid subscription key ` + testKey + `"}}`, 502, providers.ClassServerError, "upstream_auth_failed", 0},
		"server error":   {500, nil, `{"error":{"code":"InternalServerError","message":"oops"}}`, 502, providers.ClassServerError, "InternalServerError", 0},
	}
	providertest.WantErrorMapping(t, cases, func(status int, h http.Header, body []byte) *providers.Error {
		e := a.Error(status, h, body)
		if strings.Contains(e.Message, testKey) {
			t.Errorf("status %d: the message %q holds the key", status, e.Message)
		}
		return e
	})
}

func TestNewRejectsBadEndpoints(t *testing.T) {
	for _, ep := range []string{"", "res.openai.azure.com", "ftp://res", "https://user:pw@res.openai.azure.com"} {
		if _, err := New(&config.Provider{Endpoint: ep}); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
}
