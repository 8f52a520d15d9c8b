// Package compile turns Tollgate's custom resources into the one gateway
// config a proxy serves. It is a pure function: no cluster reads, no clock
// (Now is an input), no environment. The operator gathers the Input from the
// API server; `tollgate render` gathers it from YAML files.
//
// An object that cannot be used (a Secret missing, a reference to nothing)
// is left out of the config and reported as a Problem; everything else is
// still compiled, so one bad Consumer never takes a gateway down.
package compile

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// Secret data keys and annotations the operator and compile agree on.
const (
	// KeyAPIKey is the data key of a generated consumer key Secret (and the
	// default key of a SecretKeyReference).
	KeyAPIKey = "apiKey"
	// KeyPreviousAPIKey holds the key replaced by the last rotation; it stays
	// valid until AnnotationPreviousKeyExpiresAt.
	KeyPreviousAPIKey = "previousApiKey"
	// AnnotationPreviousKeyExpiresAt is an RFC 3339 time on a key Secret.
	AnnotationPreviousKeyExpiresAt = "ai.tollgate.dev/previous-key-expires-at"
	// TLSMountPath is where the proxy pod mounts the serving certificate.
	TLSMountPath = "/etc/tollgate/tls"
)

// DataKey is the data key of the Secret ref names: its key, KeyAPIKey
// when it names none.
func DataKey(ref *v1alpha1.SecretKeyReference) string {
	if ref.Key == "" {
		return KeyAPIKey
	}
	return string(ref.Key)
}

// Input is everything compile reads.
type Input struct {
	Gateway *v1alpha1.AIGateway
	// Providers, Consumers and Policies are all those of the gateway's
	// namespace; compile selects the ones that apply.
	Providers []v1alpha1.ModelProvider
	Consumers []v1alpha1.Consumer
	Policies  []v1alpha1.TokenPolicy
	// MCPServers are those of the gateway's namespace; compile selects
	// them with spec.mcpServerSelector (see mcp.go).
	MCPServers []v1alpha1.MCPServer
	// ConfigMaps of the namespace by name (OpenAPI documents); only
	// referenced ones are read.
	ConfigMaps map[string]*corev1.ConfigMap
	// Documents are OpenAPI documents the operator fetched from
	// spec.openAPI.document.url, by MCPServer name; a missing one is a
	// problem of that MCPServer.
	Documents map[string][]byte
	// Secrets of the gateway's namespace, by name. Only referenced ones are
	// read.
	Secrets map[string]*corev1.Secret
	// Now decides which rotated keys are still valid.
	Now time.Time
	// WithoutCertManager says the cert-manager CRDs are not installed: a
	// listener whose certificate cert-manager would issue (tls.issuerRef)
	// then serves plain HTTP rather than wait for a Secret that will never
	// come. The zero value assumes cert-manager is there, as for
	// `tollgate render`.
	WithoutCertManager bool
	// Cache, when set, keeps this gateway's compiled consumers for the
	// next compile (see ConsumerCache); the config is the same without.
	Cache *ConsumerCache
}

// Problem is one reason an object could not be (fully) compiled. It names
// the object and the condition it sets False.
type Problem struct {
	Kind      string
	Name      string
	Condition v1alpha1.ConditionType
	Reason    v1alpha1.ConditionReason
	Message   string
}

// Result is the compiled config and what compile noticed.
type Result struct {
	Config   *config.Config
	Problems []Problem
	// Providers and Consumers are the names compiled into the config.
	Providers []string
	Consumers []string
	// Policies are the TokenPolicy names in use.
	Policies []string
	// MCPTools is the number of tools of each compiled MCPServer.
	MCPTools map[string]int
	// ConsumerKeys identify each of Config.Consumers' entries across
	// compiles with the same Cache ("" when it cannot be known unchanged):
	// config.SplitCached reuses a shard whose consumers all kept theirs.
	ConsumerKeys []string
}

// Compile builds the gateway config of in.Gateway. It never fails: what it
// cannot use is reported in Result.Problems and left out.
func Compile(in Input) Result {
	c := &compiler{in: in, secrets: in.Secrets}
	return c.run()
}

type compiler struct {
	in           Input
	secrets      map[string]*corev1.Secret
	problems     []Problem
	fingerprints []string
}

func (c *compiler) problem(kind, name string, cond v1alpha1.ConditionType, reason v1alpha1.ConditionReason, format string, args ...any) {
	c.problems = append(c.problems, Problem{Kind: kind, Name: name, Condition: cond, Reason: reason, Message: fmt.Sprintf(format, args...)})
}

func (c *compiler) run() Result {
	gw := c.in.Gateway
	cfg := &config.Config{
		Version: config.SchemaVersion,
		Gateway: config.GatewayMeta{Name: gw.Name, Namespace: gw.Namespace, Generation: gw.Generation},
	}
	c.gatewaySettings(cfg)
	provs := c.providers(cfg)
	c.byokHeaderKeys(cfg)
	c.routes(cfg, provs)
	policies := c.policies(cfg)
	consumers := c.consumers(cfg, policies)
	mcpTools := c.mcpServers(cfg)
	c.checkDowngrades(cfg)
	cfg.Default()

	res := Result{Config: cfg, Problems: c.problems}
	for _, p := range cfg.Providers {
		res.Providers = append(res.Providers, p.Name)
	}
	res.Consumers = consumers
	res.ConsumerKeys = c.fingerprints
	res.MCPTools = mcpTools
	for _, p := range cfg.Policies {
		res.Policies = append(res.Policies, p.Name)
	}
	return res
}

// secretValue reads one key of a Secret of the gateway's namespace. The
// problem it reports names the referring object.
func (c *compiler) secretValue(kind, owner, name, key string) (string, bool) {
	return c.secretValueAt(kind, owner, "", name, key)
}

// secretValueAt is secretValue for a reference at field (a path in the
// referring object's spec, "" when it has one only), which its problems
// name.
func (c *compiler) secretValueAt(kind, owner, field, name, key string) (string, bool) {
	by := fmt.Sprintf("%s %q", kind, owner)
	if field != "" {
		by = fmt.Sprintf("%s %q at %s", kind, owner, field)
	}
	s, ok := c.secrets[name]
	if !ok || s == nil {
		c.problem(kind, owner, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonSecretNotFound,
			"Secret %q referenced by %s does not exist in namespace %q; create it or fix the reference.", name, by, c.in.Gateway.Namespace)
		return "", false
	}
	v, ok := s.Data[key]
	if !ok || len(v) == 0 {
		if sv, ok2 := s.StringData[key]; ok2 && sv != "" {
			return sv, true
		}
		c.problem(kind, owner, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonSecretKeyNotFound,
			"Secret %q has no non-empty key %q, which %s needs; add the key to the Secret or change the reference.", name, key, by)
		return "", false
	}
	return string(v), true
}

// invalid stands for a duration or decimal the CRD schema would have
// refused (render on unvalidated files): it is negative, so config.Validate
// refuses the compiled config instead of serving a default in its place.
const invalid = -1

func dur(d *v1alpha1.Duration) config.Duration {
	if d == nil || *d == "" {
		return config.Duration{}
	}
	v, err := time.ParseDuration(string(*d))
	if err != nil {
		return config.D(invalid)
	}
	return config.D(v)
}

func decimal(d *v1alpha1.Decimal) float64 {
	if d == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(*d), 64)
	if err != nil {
		return invalid
	}
	return v
}

func selects(sel *metav1.LabelSelector, set map[string]string) (bool, error) {
	if sel == nil {
		return true, nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, fmt.Errorf("invalid label selector: %w", err)
	}
	return s.Matches(labels.Set(set)), nil
}
