package config

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
)

// Checking a sharded config a shard at a time (the gateway's incremental
// swap, internal/proxy/shardbuild.go). Validate of an assembled config is
// three parts: the checks of the root alone (CheckRoot), the checks of
// each consumer against the root (ShardCheck.Consumers, on one shard's
// consumers at a time), and two checks across every consumer: no consumer
// name and no key hash twice. The caller runs the last two across shards;
// within a shard ShardCheck.Consumers runs them. A config all three accept
// is one Validate accepts, and the other way round; their messages differ
// (a field is counted within its shard), so a caller that needs the exact
// message of a refused config asks Assemble.

// CheckRoot defaults and validates a sharded root without its consumers:
// the root-level half of Assemble. The result is a copy with no consumers
// and no shard list; root is not modified.
func CheckRoot(root *Config) (*Config, error) {
	if len(root.Consumers) > 0 {
		return nil, errors.New("a sharded root with inline consumers is checked whole (Assemble)")
	}
	c := *root
	c.Consumers, c.Shards = nil, nil
	c.Default()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ShardCheck checks consumers against one root. Build it with
// NewShardCheck from CheckRoot's result.
type ShardCheck struct {
	providers []Provider
	policies  map[string]bool
	issuers   map[string]bool
	digest    [32]byte
}

// shardContext is every part of a root that checking its consumers, or
// the gateway's building of them, reads: the policy names, the issuers and
// the providers (a consumer's own vendor key is served by an adapter of
// its provider's whole settings). Nothing else of a root changes what a
// consumer check or build gives.
type shardContext struct {
	Version   string     `json:"version"`
	Policies  []string   `json:"policies"`
	Issuers   []Issuer   `json:"issuers"`
	Providers []Provider `json:"providers"`
}

// NewShardCheck prepares the checks of consumers against root, a
// CheckRoot result.
func NewShardCheck(root *Config) (*ShardCheck, error) {
	ctx := shardContext{Version: SchemaVersion, Issuers: root.Auth.Issuers, Providers: root.Providers}
	for _, p := range root.Policies {
		ctx.Policies = append(ctx.Policies, p.Name)
	}
	data, err := json.Marshal(ctx)
	if err != nil {
		return nil, fmt.Errorf("digesting the root's consumer context: %w", err)
	}
	return &ShardCheck{
		providers: root.Providers,
		// Validate passes the same sets; the root is already valid, so
		// the problems these calls find are none.
		policies: root.validatePolicies(&validator{}),
		issuers:  root.Auth.validateIssuers(&validator{}),
		digest:   sha256.Sum256(data),
	}, nil
}

// Digest identifies what the checks and the gateway's consumer building
// read of the root: two roots of the same digest check and build every
// consumer alike, so a shard checked and built under one is good under
// the other.
func (k *ShardCheck) Digest() [32]byte { return k.digest }

// Consumers runs Validate's checks of each consumer on cs, one shard's
// consumers, including the name and key-hash checks among them.
func (k *ShardCheck) Consumers(cs []Consumer) error {
	v := &validator{}
	c := Config{Providers: k.providers, Consumers: cs}
	c.validateConsumers(v, k.policies, k.issuers)
	for i := range cs {
		cs[i].Capture.validate(v, fmt.Sprintf("consumers[%d].capture", i))
	}
	if len(v.errs) > 0 {
		return fmt.Errorf("invalid consumer shard: %w", errors.Join(v.errs...))
	}
	return nil
}
