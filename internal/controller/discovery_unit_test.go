package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/netguard"
)

const unitKey = "sk-canary-unit-key"

func provider(typ v1alpha1.ProviderType, endpoint string, allowPrivate bool, include ...v1alpha1.ModelPattern) *v1alpha1.ModelProvider {
	e := v1alpha1.Endpoint(endpoint)
	return &v1alpha1.ModelProvider{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: v1alpha1.ModelProviderSpec{
			Type: typ, Endpoint: &e, AllowPrivateNetwork: allowPrivate,
			Headers:   []v1alpha1.HTTPHeader{{Name: "OpenAI-Project", Value: "proj"}},
			Discovery: &v1alpha1.Discovery{Enabled: true, Include: include},
		},
	}
}

// vendor serves each vendor's model listing, paginated in two pages, and
// checks the credential header each one expects.
func vendor(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/v1/models": // OpenAI (endpoint .../v1) and Anthropic (endpoint root)
			if r.Header.Get("X-Api-Key") != "" {
				if r.Header.Get("X-Api-Key") != unitKey || r.Header.Get("Anthropic-Version") != "2023-06-01" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				if q.Get("after_id") == "" {
					fmt.Fprint(w, `{"data":[{"id":"claude-b"},{"id":"claude-a"}],"has_more":true,"last_id":"claude-a"}`)
				} else {
					fmt.Fprint(w, `{"data":[{"id":"claude-c"}],"has_more":false,"last_id":"claude-c"}`)
				}
				return
			}
			if r.Header.Get("Authorization") != "Bearer "+unitKey || r.Header.Get("OpenAI-Project") != "proj" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, `{"object":"list","data":[{"id":"gpt-b"},{"id":"gpt-a"},{"id":"gpt-a"},{"id":"dall-e"},{"id":" bad"}]}`)
		case "/v1beta/models":
			if r.Header.Get("X-Goog-Api-Key") != unitKey || q.Get("key") != "" {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			if q.Get("pageToken") == "" {
				fmt.Fprint(w, `{"models":[{"name":"models/gemini-2.5-pro"}],"nextPageToken":"p2"}`)
			} else {
				fmt.Fprint(w, `{"models":[{"name":"models/gemini-2.5-flash"}]}`)
			}
		case "/hop/models":
			http.Redirect(w, r, "http://169.254.169.254/v1/models", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDiscoverModels(t *testing.T) {
	srv := vendor(t)
	cases := map[string]struct {
		mp      *v1alpha1.ModelProvider
		want    []string
		wantErr string
	}{
		"OpenAI, filtered, de-duplicated, sorted": {mp: provider(v1alpha1.ProviderOpenAI, srv.URL+"/v1", true, "gpt-*"), want: []string{"gpt-a", "gpt-b"}},
		"OpenAI-compatible without include":       {mp: provider(v1alpha1.ProviderOpenAICompatible, srv.URL+"/v1/", true), want: []string{"dall-e", "gpt-a", "gpt-b"}},
		"Anthropic, two pages":                    {mp: provider(v1alpha1.ProviderAnthropic, srv.URL, true), want: []string{"claude-a", "claude-b", "claude-c"}},
		"Gemini, two pages, models/ stripped":     {mp: provider(v1alpha1.ProviderGemini, srv.URL, true), want: []string{"gemini-2.5-flash", "gemini-2.5-pro"}},
		"the SSRF guard refuses loopback":         {mp: provider(v1alpha1.ProviderOpenAI, srv.URL+"/v1", false), wantErr: "private, loopback"},
		"a redirect is an answer, not followed":   {mp: provider(v1alpha1.ProviderOpenAICompatible, srv.URL+"/hop", true), wantErr: "HTTP 302"},
		"unsupported type":                        {mp: provider(v1alpha1.ProviderAzureOpenAI, srv.URL, true), wantErr: "not supported"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := discoverModels(context.Background(), tc.mp, unitKey)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), unitKey) {
					t.Fatalf("the error carries the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	_, err := discoverModels(context.Background(), provider(v1alpha1.ProviderOpenAI, srv.URL+"/v1", false), unitKey)
	if !errors.Is(err, netguard.ErrBlocked) {
		t.Errorf("guard error %v does not wrap netguard.ErrBlocked", err)
	}
	_, err = discoverModels(context.Background(), provider(v1alpha1.ProviderOpenAI, srv.URL+"/v1", true), "sk-canary-wrong")
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "sk-canary") {
		t.Errorf("wrong key: err = %v, want HTTP 401 and no key", err)
	}
}

func TestKeepDiscoveredCaps(t *testing.T) {
	var names []string
	for i := range maxDiscovered + 10 {
		names = append(names, fmt.Sprintf("m-%05d", i))
	}
	names = append(names, strings.Repeat("x", 257), "-leading-dash", "ok/name:1")
	got := keepDiscovered(names, nil)
	if len(got) != maxDiscovered || slices.Contains(got, "-leading-dash") || slices.Contains(got, strings.Repeat("x", 257)) {
		t.Errorf("kept %d names, want %d valid ones", len(got), maxDiscovered)
	}
}
