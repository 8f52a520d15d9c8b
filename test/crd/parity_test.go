package crd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// notInContract are invalid fixtures whose invalid fields the gateway
// config does not carry (they shape the Deployment, Service, HTTPRoute,
// ServiceMonitor or Certificate, or the operator's key rotation), so no
// config.Validate can refuse them; the API server (and render) does. Each
// entry is a merge patch that makes the fixture valid; the test proves the
// claim by compiling both and requiring the same config, so an entry
// stops passing the day its field reaches the contract.
var notInContract = map[string]string{
	"gateway-negative-replicas.yaml":           `{"spec":{"replicas":1}}`,
	"gateway-httproute-without-parents.yaml":   `{"spec":{"httpRoute":null}}`,
	"gateway-tls-empty.yaml":                   `{"spec":{"listener":{"tls":{"secretName":"tls-empty-tls"}}}}`,
	"gateway-tls-issuer-without-dnsnames.yaml": `{"spec":{"listener":{"tls":{"dnsNames":["ai.example.com"]}}}}`,
	"provider-discovery-unsupported-type.yaml": `{"spec":{"discovery":null}}`,
	"consumer-negative-rotation.yaml":          `{"spec":{"credentials":{"generate":{"rotation":0,"overlap":"24h"}}}}`,
	"consumer-gateways-and-selector.yaml":      `{"spec":{"gatewaySelector":null}}`,
	"consumer-both-credentials.yaml":           `{"spec":{"credentials":{"generate":null}}}`,
	"gateway-byok-header-no-providers.yaml":    `{"spec":{"byok":null}}`,
	"gateway-weight-zero.yaml":                 `{"spec":{"routes":[{"model":"gpt-4o","backends":[{"provider":"openai","weight":1},{"provider":"azure","weight":1}]}]}}`,
}

// TestContractValidationMatchesCRDs is the parity of issue 12 item 8: every
// invalid test/crd fixture, compiled in a namespace holding what it refers
// to, is refused by compile (a blocking Problem) or by config.Validate, or
// cannot be read as the API type at all; every valid fixture compiles clean
// and validates. Loosening config.Validate makes it fail.
func TestContractValidationMatchesCRDs(t *testing.T) {
	root := repoRoot(t)
	valid, err := loadFixtures(root, filepath.Join("test", "crd", "testdata", "valid"), "valid")
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range valid {
		t.Run("valid/"+filepath.Base(fx.file), func(t *testing.T) {
			raw, _ := json.Marshal(fx.obj.Object)
			res, err := compileFixture(raw)
			if err != nil {
				t.Fatalf("a valid fixture does not decode: %v", err)
			}
			if why := refusal(res); why != "" {
				t.Fatalf("a valid fixture is refused: %s", why)
			}
		})
	}
	invalid, err := loadFixtures(root, filepath.Join("test", "crd", "testdata", "invalid"), "invalid")
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range invalid {
		name := filepath.Base(fx.file)
		t.Run("invalid/"+name, func(t *testing.T) {
			raw, _ := json.Marshal(fx.obj.Object)
			res, err := compileFixture(raw)
			if patch, exempt := notInContract[name]; exempt {
				checkNotInContract(t, raw, res, err, patch)
				return
			}
			if err != nil {
				t.Logf("refused before compile: %v", err)
				return
			}
			why := refusal(res)
			if why == "" {
				js, _ := config.Marshal(res.Config)
				t.Fatalf("the CRDs refuse this fixture (%v) but the compiled config validates:\n%s", fx.expect, js)
			}
			t.Logf("refused: %s", why)
		})
	}
}

// checkNotInContract proves a notInContract entry: the fixture and its
// valid patch compile to the same config, cleanly.
func checkNotInContract(t *testing.T, raw []byte, res compile.Result, err error, patch string) {
	t.Helper()
	if err != nil {
		t.Fatalf("listed as outside the contract, but does not decode: %v", err)
	}
	fixed, err := jsonMergePatch(raw, []byte(patch))
	if err != nil {
		t.Fatal(err)
	}
	want, err := compileFixture(fixed)
	if err != nil {
		t.Fatal(err)
	}
	if why := refusal(want); why != "" {
		t.Fatalf("the patched fixture is refused: %s", why)
	}
	a, _ := config.Marshal(res.Config)
	b, _ := config.Marshal(want.Config)
	if !bytes.Equal(a, b) {
		t.Fatalf("the invalid field reaches the gateway config (so config.Validate must refuse it):\n%s\nvs the valid fixture:\n%s", a, b)
	}
}

func jsonMergePatch(doc, patch []byte) ([]byte, error) {
	out, err := jsonpatch.MergePatch(doc, patch)
	if err != nil {
		return nil, fmt.Errorf("merge patch: %w", err)
	}
	return out, nil
}

// refusal is why a compile result would not be served: a blocking
// Problem (a generated key not created yet is not one) or a Validate
// error. "" means it would be served.
func refusal(res compile.Result) string {
	for _, p := range res.Problems {
		if p.Reason != v1alpha1.ReasonKeyNotReady {
			return fmt.Sprintf("compile: %s %s: %s", p.Kind, p.Name, p.Message)
		}
	}
	if err := res.Config.Validate(); err != nil {
		return err.Error()
	}
	return ""
}

const worldNamespace = "parity"

// compileFixture decodes one fixture into its API type and compiles it in
// a namespace that holds what it refers to, as an API server could hold
// it: the gateway "main" (unless the fixture is a gateway), a Mock
// ModelProvider for every backend it names, a TokenPolicy for every
// policy a consumer names, a consumer for a policy, and a Secret for
// every reference whose name and key a Secret could have.
func compileFixture(raw []byte) (compile.Result, error) {
	var meta metav1.TypeMeta
	if err := json.Unmarshal(raw, &meta); err != nil {
		return compile.Result{}, err
	}
	in := compile.Input{Secrets: map[string]*corev1.Secret{}, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var gw v1alpha1.AIGateway
	var downgrade string
	switch meta.Kind {
	case "AIGateway":
		if err := decodeStrict(raw, &gw); err != nil {
			return compile.Result{}, err
		}
	case "ModelProvider":
		var mp v1alpha1.ModelProvider
		if err := decodeStrict(raw, &mp); err != nil {
			return compile.Result{}, err
		}
		in.Providers = append(in.Providers, mp)
	case "Consumer":
		var cs v1alpha1.Consumer
		if err := decodeStrict(raw, &cs); err != nil {
			return compile.Result{}, err
		}
		in.Consumers = append(in.Consumers, cs)
		for _, pn := range cs.Spec.TokenPolicies {
			one := int64(1000)
			in.Policies = append(in.Policies, v1alpha1.TokenPolicy{ObjectMeta: metav1.ObjectMeta{Name: string(pn)},
				Spec: v1alpha1.TokenPolicySpec{MaxTokensPerRequest: &one}})
		}
	case "TokenPolicy":
		var tp v1alpha1.TokenPolicy
		if err := decodeStrict(raw, &tp); err != nil {
			return compile.Result{}, err
		}
		in.Policies = append(in.Policies, tp)
		if tp.Spec.DowngradeTo != nil {
			downgrade = string(*tp.Spec.DowngradeTo)
		}
		in.Consumers = append(in.Consumers, v1alpha1.Consumer{ObjectMeta: metav1.ObjectMeta{Name: "user"},
			Spec: v1alpha1.ConsumerSpec{TokenPolicies: []v1alpha1.ObjectName{v1alpha1.ObjectName(tp.Name)},
				Credentials: v1alpha1.ConsumerCredentials{SecretRef: &v1alpha1.SecretKeyReference{Name: "user-key"}}}})
	case "MCPServer":
		var ms v1alpha1.MCPServer
		if err := decodeStrict(raw, &ms); err != nil {
			return compile.Result{}, err
		}
		in.MCPServers = append(in.MCPServers, ms)
	default:
		return compile.Result{}, fmt.Errorf("kind %q", meta.Kind)
	}
	if meta.Kind != "AIGateway" {
		gw = v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Name: "main"}}
	}
	gw.Namespace = worldNamespace
	for i := range in.MCPServers {
		// The gateway selects the fixture (every MCPServer of the namespace),
		// and a ConfigMap it names holds a small valid document.
		ms := &in.MCPServers[i]
		ms.Namespace = worldNamespace
		gw.Spec.MCPServerSelector = &metav1.LabelSelector{}
		if o := ms.Spec.OpenAPI; o != nil && o.Document.ConfigMapRef != nil {
			key := string(o.Document.ConfigMapRef.Key)
			if key == "" {
				key = "openapi.yaml"
			}
			in.ConfigMaps = map[string]*corev1.ConfigMap{string(o.Document.ConfigMapRef.Name): {Data: map[string]string{key: worldOpenAPI}}}
		}
	}
	in.Gateway = &gw
	labels := selectorLabels(gw.Spec.ProviderSelector)
	for i := range in.Providers {
		in.Providers[i].Namespace = worldNamespace
		in.Providers[i].Labels = labels
	}
	var backends []string
	for _, r := range gw.Spec.Routes {
		for _, b := range r.Backends {
			if !slices.Contains(backends, string(b.Provider)) {
				backends = append(backends, string(b.Provider))
			}
		}
	}
	for _, name := range backends {
		if objectName.MatchString(name) {
			in.Providers = append(in.Providers, v1alpha1.ModelProvider{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: worldNamespace, Labels: labels},
				Spec: v1alpha1.ModelProviderSpec{Type: v1alpha1.ProviderMock}})
		}
	}
	if b := gw.Spec.BYOK; b != nil && b.HeaderKeys != nil {
		// Header keys are for providers that take an API key: OpenAI ones
		// with their key Secret.
		for _, p := range b.HeaderKeys.Providers {
			name := string(p)
			if !objectName.MatchString(name) || slices.Contains(backends, name) {
				continue
			}
			in.Providers = append(in.Providers, v1alpha1.ModelProvider{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: worldNamespace, Labels: labels},
				Spec: v1alpha1.ModelProviderSpec{Type: v1alpha1.ProviderOpenAI, Models: []v1alpha1.ProviderModel{{Name: "world-model"}},
					Credentials: &v1alpha1.ProviderCredentials{SecretRef: v1alpha1.SecretKeyReference{Name: v1alpha1.ObjectName(name + "-key")}}}})
			in.Secrets[name+"-key"] = &corev1.Secret{Data: map[string][]byte{"apiKey": []byte("sk-world")}}
		}
	}
	if downgrade != "" {
		in.Providers = append(in.Providers, v1alpha1.ModelProvider{ObjectMeta: metav1.ObjectMeta{Name: "world-mock", Namespace: worldNamespace, Labels: labels},
			Spec: v1alpha1.ModelProviderSpec{Type: v1alpha1.ProviderMock, Models: []v1alpha1.ProviderModel{{Name: v1alpha1.ModelName(downgrade)}}}})
	}
	for i := range in.Consumers {
		in.Consumers[i].Namespace = worldNamespace
		if in.Consumers[i].Spec.Credentials.Generate != nil {
			addSecret(in.Secrets, compile.KeySecretName(&in.Consumers[i]), compile.KeyAPIKey)
		}
	}
	var refs []any
	for _, o := range []any{gw, in.Providers, in.Consumers, in.MCPServers} {
		b, _ := json.Marshal(o)
		var v any
		_ = json.Unmarshal(b, &v)
		refs = append(refs, v)
	}
	walkSecretRefs(refs, in.Secrets)
	return compile.Compile(in), nil
}

// decodeStrict reads a fixture as its API type; a field of the wrong type
// or unknown to the type is an error, as for the API server.
func decodeStrict(raw []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("not a valid %T: %w", into, err)
	}
	return nil
}

var (
	objectName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dataKey    = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

// walkSecretRefs adds a Secret for every secretRef-like object found:
// every key it names or defaults to, for names a Secret could have.
func walkSecretRefs(v any, secrets map[string]*corev1.Secret) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			walkSecretRefs(e, secrets)
		}
	case map[string]any:
		for k, e := range t {
			if ref, ok := e.(map[string]any); ok && (k == "secretRef" || k == "adminKeySecretRef" || k == "headersSecretRef") {
				name, _ := ref["name"].(string)
				keys := []string{compile.KeyAPIKey, "accessKeyID", "secretAccessKey", "password", "username", "ca.crt"}
				for field, kv := range ref {
					if s, ok := kv.(string); ok && field != "name" {
						keys = append(keys, s)
					}
				}
				addSecret(secrets, name, keys...)
			}
			walkSecretRefs(e, secrets)
		}
	}
}

func addSecret(secrets map[string]*corev1.Secret, name string, keys ...string) {
	if !objectName.MatchString(name) || len(name) > 253 {
		return // no such Secret can exist
	}
	s, ok := secrets[name]
	if !ok {
		s = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: worldNamespace}, Data: map[string][]byte{}}
		secrets[name] = s
	}
	for _, k := range keys {
		if dataKey.MatchString(k) {
			s.Data[k] = []byte("tg-" + name + "_" + k + "value0123456789abcdef")
		}
	}
}

// selectorLabels are labels a selector selects (the world's providers
// carry them).
func selectorLabels(sel *metav1.LabelSelector) map[string]string {
	if sel == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range sel.MatchLabels {
		out[k] = v
	}
	for _, e := range sel.MatchExpressions {
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			out[e.Key] = e.Values[0]
		case metav1.LabelSelectorOpExists:
			out[e.Key] = "yes"
		}
	}
	return out
}

// worldOpenAPI is the document of a ConfigMap an MCPServer fixture names.
const worldOpenAPI = `openapi: 3.0.3
info: {title: notes, version: "1"}
paths:
  /notes/{id}:
    get:
      operationId: getNote
      summary: Get a note.
      parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: the note}
`
