package config

// Secrets returns a pointer to every secret field of p: the vendor
// credential and, for Bedrock, the AWS access keys. Every redactor (the
// proxy's scrubbing of logs and answers, `tollgate render`'s output) asks
// this one list, so they cannot disagree on what is secret. A vendor whose
// settings hold a secret adds its field here and its copy in Redacted.
func (p *Provider) Secrets() []*string {
	out := []*string{&p.APIKey}
	if b := p.Bedrock; b != nil {
		out = append(out, &b.AccessKeyID, &b.SecretAccessKey, &b.SessionToken)
	}
	return out
}

// Secrets returns a pointer to every secret field of c: each provider's
// (Provider.Secrets), the Redis password, the consumers' own vendor keys
// (BYOK), the MCP servers' and the telemetry export headers.
func (c *Config) Secrets() []*string {
	var out []*string
	for i := range c.Providers {
		out = append(out, c.Providers[i].Secrets()...)
	}
	if r := c.Limits.Redis; r != nil {
		out = append(out, &r.Password)
	}
	for i := range c.Consumers {
		for j := range c.Consumers[i].BYOK {
			out = append(out, &c.Consumers[i].BYOK[j].APIKey)
		}
	}
	for i := range c.MCPServers {
		out = append(out, c.MCPServers[i].Secrets()...)
	}
	return append(out, c.Telemetry.Secrets()...)
}

// Redacted returns a copy of c with every secret that is set (Secrets)
// replaced by mask. The structs holding secrets are copied; c is not
// changed.
func (c *Config) Redacted(mask string) *Config {
	out := *c
	out.Providers = append([]Provider(nil), c.Providers...)
	for i := range out.Providers {
		if b := out.Providers[i].Bedrock; b != nil {
			cp := *b
			out.Providers[i].Bedrock = &cp
		}
	}
	if r := c.Limits.Redis; r != nil {
		cp := *r
		out.Limits.Redis = &cp
	}
	out.Consumers = append([]Consumer(nil), c.Consumers...)
	for i := range out.Consumers {
		out.Consumers[i].BYOK = append([]BYOKKey(nil), c.Consumers[i].BYOK...)
	}
	out.MCPServers = make([]MCPServer, len(c.MCPServers))
	for i, m := range c.MCPServers {
		out.MCPServers[i] = m.redactedCopy()
	}
	for _, s := range out.Secrets() {
		if *s != "" {
			*s = mask
		}
	}
	return &out
}
