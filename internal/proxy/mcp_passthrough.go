package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// A remote MCP server's resources and prompts are passed through as its
// tools are: listed from the upstream session (reused for remoteListTTL),
// kept by the MCPServer's include/exclude over their names, shown to a
// consumer whose allowedTools match "<server>_<name>", and relayed on
// resources/read and prompts/get with the answer capped at
// maxResponseBytes. Prompt names are prefixed like tool names; resource
// URIs are the upstream's (a client reads what it listed), and of two
// servers listing one URI in the aggregate the first in order serves it.
// Resource templates and subscriptions are not relayed (they need the
// server-to-client notifications a stateless endpoint does not send).

// remoteList is one kind of a remote server's list, reused for
// remoteListTTL; nil items mean never listed.
type remoteList[T any] struct {
	items []T
	at    time.Time
}

// listRemote returns l's items, listing them again through the backend's
// session when they are older than remoteListTTL. supported reports
// whether the upstream offers the kind at all; name is what include and
// exclude match. On a failure the last good list is kept.
func listRemote[T any](ctx context.Context, s *Server, b *mcpBackend, l *remoteList[T], kind string,
	supported func(*mcp.ServerCapabilities) bool, list func(*mcp.ClientSession) iter.Seq2[T, error], name func(T) string) []T {
	b.mu.Lock()
	if l.items != nil && time.Since(l.at) < remoteListTTL {
		defer b.mu.Unlock()
		return l.items
	}
	b.mu.Unlock()
	var all []T
	err := b.withSession(ctx, s, func(cs *mcp.ClientSession) error {
		all = nil
		if ir := cs.InitializeResult(); ir == nil || ir.Capabilities == nil || !supported(ir.Capabilities) {
			return nil
		}
		for it, err := range list(cs) {
			if err != nil {
				return err
			}
			all = append(all, it)
		}
		return nil
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		s.log.Warn("listing a remote MCP server's "+kind+" failed", "server", b.cfg.Name, "error", b.scrub(err.Error()))
		return l.items // the last good list, or none
	}
	kept := []T{}
	for _, it := range all {
		if config.ToolSelected(b.cfg.Include, b.cfg.Exclude, name(it)) {
			kept = append(kept, it)
		}
	}
	l.items, l.at = kept, time.Now()
	return kept
}

func (b *mcpBackend) remoteTools(ctx context.Context, s *Server) []*mcp.Tool {
	return listRemote(ctx, s, b, &b.listed, "tools",
		func(c *mcp.ServerCapabilities) bool { return c.Tools != nil },
		func(cs *mcp.ClientSession) iter.Seq2[*mcp.Tool, error] { return cs.Tools(ctx, nil) },
		func(t *mcp.Tool) string { return t.Name })
}

func (b *mcpBackend) remoteResources(ctx context.Context, s *Server) []*mcp.Resource {
	return listRemote(ctx, s, b, &b.resources, "resources",
		func(c *mcp.ServerCapabilities) bool { return c.Resources != nil },
		func(cs *mcp.ClientSession) iter.Seq2[*mcp.Resource, error] { return cs.Resources(ctx, nil) },
		func(r *mcp.Resource) string { return r.Name })
}

func (b *mcpBackend) remotePrompts(ctx context.Context, s *Server) []*mcp.Prompt {
	return listRemote(ctx, s, b, &b.prompts, "prompts",
		func(c *mcp.ServerCapabilities) bool { return c.Prompts != nil },
		func(cs *mcp.ClientSession) iter.Seq2[*mcp.Prompt, error] { return cs.Prompts(ctx, nil) },
		func(p *mcp.Prompt) string { return p.Name })
}

// addPassthrough adds the resources and prompts of the scope's remote
// servers that the consumer may use to srv.
func (rc *mcpCall) addPassthrough(ctx context.Context, srv *mcp.Server) {
	seen := map[string]bool{}
	for _, b := range rc.g.servers {
		if b.cfg.Remote == nil || (rc.scope != "" && b.cfg.Name != rc.scope) {
			continue
		}
		for _, r := range b.remoteResources(ctx, rc.g.s) {
			u, err := url.Parse(r.URI)
			if err != nil || u.Scheme == "" || seen[r.URI] || !rc.allowed(b.cfg.Name+config.MCPToolSeparator+r.Name) {
				continue
			}
			seen[r.URI] = true
			res := *r
			res.Name = rc.exposedName(b, r.Name)
			srv.AddResource(&res, rc.readHandler(b, r))
		}
		for _, p := range b.remotePrompts(ctx, rc.g.s) {
			if !rc.allowed(b.cfg.Name + config.MCPToolSeparator + p.Name) {
				continue
			}
			pr := *p
			pr.Name = rc.exposedName(b, p.Name)
			srv.AddPrompt(&pr, rc.promptHandler(b, p))
		}
	}
}

// exposedName is name as the client sees it: prefixed in the aggregate.
func (rc *mcpCall) exposedName(b *mcpBackend, name string) string {
	if rc.scope != "" {
		return name
	}
	return b.cfg.Name + config.MCPToolSeparator + name
}

func (rc *mcpCall) readHandler(b *mcpBackend, r *mcp.Resource) mcp.ResourceHandler {
	return func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		var res *mcp.ReadResourceResult
		err := rc.relay(ctx, b, "resources/read", r.Name, func(ctx context.Context, cs *mcp.ClientSession) (any, error) {
			var err error
			res, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: r.URI})
			return res, err
		})
		return res, err
	}
}

func (rc *mcpCall) promptHandler(b *mcpBackend, p *mcp.Prompt) mcp.PromptHandler {
	return func(ctx context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		var res *mcp.GetPromptResult
		err := rc.relay(ctx, b, "prompts/get", p.Name, func(ctx context.Context, cs *mcp.ClientSession) (any, error) {
			var err error
			res, err = cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: p.Name, Arguments: req.Params.Arguments})
			return res, err
		})
		return res, err
	}
}

// relay runs one request on the backend's session within its timeout,
// caps the answer at maxResponseBytes, scrubs the backend's credentials
// from errors and writes the access-log line.
func (rc *mcpCall) relay(ctx context.Context, b *mcpBackend, method, name string, fn func(context.Context, *mcp.ClientSession) (any, error)) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout.Or(config.DefaultMCPTimeout))
	defer cancel()
	outcome := "ok"
	err := b.withSession(ctx, rc.g.s, func(cs *mcp.ClientSession) error {
		res, err := fn(ctx, cs)
		if err != nil {
			return err
		}
		enc, err := json.Marshal(res)
		if err != nil {
			return fmt.Errorf("encoding the answer: %w", err)
		}
		if int64(len(enc)) > b.cfg.MaxResponseBytes {
			outcome = "too_large"
			return fmt.Errorf("the MCP server's answer exceeds %d bytes (maxResponseBytes)", b.cfg.MaxResponseBytes)
		}
		return nil
	})
	if err != nil && outcome == "ok" {
		outcome = "backend_error"
		err = fmt.Errorf("%s %q on MCP server %q: %s", method, name, b.cfg.Name, b.scrub(err.Error()))
	}
	rc.g.s.log.Info("mcp "+method, "consumer", rc.consumer, "server", b.cfg.Name, "name", name,
		"outcome", outcome, "duration_ms", time.Since(start).Milliseconds())
	return err
}
