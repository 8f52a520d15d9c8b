package compile

import (
	"cmp"
	"fmt"
	"path"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// gatewaySettings compiles the AIGateway's own fields: listener, server
// limits, auth, the limit store, response storage and the console.
func (c *compiler) gatewaySettings(cfg *config.Config) {
	spec := c.in.Gateway.Spec
	// A listener left out gets the contract's default ports (Default).
	if l := spec.Listener; l != nil {
		if l.Port != 0 {
			cfg.Listener.Address = config.ListenAddress(int(l.Port))
		}
		if l.MetricsPort != 0 {
			cfg.Listener.MetricsAddress = config.ListenAddress(int(l.MetricsPort))
		}
		if l.TLS != nil && (l.TLS.IssuerRef == nil || !c.in.WithoutCertManager) {
			cfg.Listener.TLS = &config.TLS{
				CertFile: path.Join(TLSMountPath, "tls.crt"),
				KeyFile:  path.Join(TLSMountPath, "tls.key"),
			}
		}
	}

	if s := spec.Server; s != nil {
		if s.MaxRequestBodyBytes != nil {
			cfg.Server.MaxRequestBodyBytes = *s.MaxRequestBodyBytes
		}
		if s.MaxInFlight != nil {
			cfg.Server.MaxInFlight = int(*s.MaxInFlight)
		}
		cfg.Server.ReadHeaderTimeout = dur(s.ReadHeaderTimeout)
		cfg.Server.ReadTimeout = dur(s.ReadTimeout)
		cfg.Server.WriteTimeout = dur(s.WriteTimeout)
		cfg.Server.IdleTimeout = dur(s.IdleTimeout)
		cfg.Server.DrainTimeout = dur(s.DrainTimeout)
	}

	// Enums are copied as they are: config.Validate refuses a value the
	// CRD schema would have refused (render on unvalidated files).
	if spec.Auth != nil {
		cfg.Auth.Mode = config.AuthMode(spec.Auth.Mode)
		for _, is := range spec.Auth.Issuers {
			cfg.Auth.Issuers = append(cfg.Auth.Issuers, config.Issuer{Issuer: is.Issuer, JWKSURL: is.JWKSURL,
				Audiences: append([]string(nil), is.Audiences...), ClockSkew: dur(is.ClockSkew), JWKSRefresh: dur(is.JWKSRefresh),
				GroupsClaim: is.GroupsClaim, AllowPrivateNetwork: is.AllowPrivateNetwork})
		}
	}

	c.limitStore(cfg)
	c.telemetry(cfg)
	c.guardrails(cfg)
	c.prompts(cfg)
	c.activity(cfg)

	if r := spec.Responses; r != nil {
		cfg.Responses.DisableStore = r.DisableStore
		cfg.Responses.StoreTTL = dur(r.StoreTTL)
	}

	if con := spec.Console; con != nil && con.Enabled {
		cfg.Console.Enabled = true
		if ref := con.AdminKeySecretRef; ref != nil {
			if key, ok := c.secretValue(v1alpha1.KindAIGateway, c.in.Gateway.Name, string(ref.Name), DataKey(ref)); ok {
				cfg.Console.AdminKeys = []config.Key{{ID: apikey.ID(key), SHA256: apikey.Hash(key)}}
			}
		}
	}
}

func (c *compiler) limitStore(cfg *config.Config) {
	gw := c.in.Gateway
	l := gw.Spec.Limits
	if l == nil {
		return
	}
	cfg.Limits.FailureMode = config.FailureMode(l.FailureMode)
	cfg.Limits.Enforcement = config.Enforcement(l.Enforcement)
	if l.Store == nil {
		return
	}
	cfg.Limits.Type = config.StoreType(l.Store.Type)
	if l.Store.Type != v1alpha1.StoreRedis || l.Store.Redis == nil {
		return
	}
	r := l.Store.Redis
	out := &config.Redis{
		Mode:      config.RedisMode(r.Mode),
		TLS:       r.TLS,
		Timeout:   dur(r.Timeout),
		KeyPrefix: fmt.Sprintf("tollgate:%s/%s:", gw.Namespace, gw.Name),
	}
	for _, a := range r.Addresses {
		out.Addresses = append(out.Addresses, string(a))
	}
	if r.MasterName != nil {
		out.MasterName = *r.MasterName
	}
	if r.DB != nil {
		out.DB = int(*r.DB)
	}
	if r.KeyPrefix != nil {
		out.KeyPrefix = *r.KeyPrefix
	}
	if ref := r.SecretRef; ref != nil {
		// Each key is optional in the Secret except the ones named
		// explicitly; a missing Secret is a problem either way.
		s, ok := c.secrets[string(ref.Name)]
		if !ok || s == nil {
			c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonSecretNotFound,
				"Secret %q for the Redis limit store does not exist in namespace %q; create it or remove limits.store.redis.secretRef. Counters fall back to the failure mode.", ref.Name, gw.Namespace)
		} else {
			out.Password = string(s.Data[cmp.Or(string(ref.PasswordKey), "password")])
			out.Username = string(s.Data[cmp.Or(string(ref.UsernameKey), "username")])
			out.CACert = string(s.Data[cmp.Or(string(ref.CACertKey), "ca.crt")])
		}
	}
	cfg.Limits.Redis = out
}
