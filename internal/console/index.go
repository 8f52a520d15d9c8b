package console

import (
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// index is what the console needs from one config, built once per config:
// keys by lookup id, allowed-model globs, the catalogue and usage windows.
type index struct {
	cfg           *config.Config
	keys          map[string][]keyEntry
	allowed       map[string][]string // consumer → globs; absent or empty = all
	windows       map[string]config.BudgetWindow
	consumerNames []string
	models        []ModelInfo
}

func newIndex(cfg *config.Config) *index {
	ix := &index{cfg: cfg, keys: map[string][]keyEntry{}, allowed: map[string][]string{}, windows: map[string]config.BudgetWindow{}}
	// Admin keys first: a key listed both ways is an admin key.
	for _, k := range cfg.Console.AdminKeys {
		ix.keys[k.ID] = append(ix.keys[k.ID], keyEntry{sha256: strings.ToLower(k.SHA256), notAfter: k.NotAfter, p: Principal{Admin: true}})
	}
	budgets := map[string]config.BudgetWindow{}
	for _, p := range cfg.Policies {
		if p.Budget != nil {
			budgets[p.Name] = p.Budget.Window
		}
	}
	for i := range cfg.Consumers {
		c := &cfg.Consumers[i]
		ix.consumerNames = append(ix.consumerNames, c.Name)
		ix.allowed[c.Name] = c.AllowedModels
		for _, k := range c.Keys {
			ix.keys[k.ID] = append(ix.keys[k.ID], keyEntry{sha256: strings.ToLower(k.SHA256), notAfter: k.NotAfter,
				p: Principal{Consumer: c.Name}, disabled: c.Disabled})
		}
		for _, pn := range c.Policies {
			if w, ok := budgets[pn]; ok {
				ix.windows[c.Name] = w
				break
			}
		}
	}
	if cfg.Auth.Mode == config.AuthNone {
		ix.consumerNames = append(ix.consumerNames, "") // anonymous callers
	}
	ix.models = buildCatalogue(cfg, ix)
	return ix
}

// allows reports whether a consumer may use a model, as the proxy decides:
// no globs allows every model.
func (ix *index) allows(consumer, model string) bool {
	globs, ok := ix.allowed[consumer]
	if !ok {
		return consumer == "" && ix.cfg.Auth.Mode == config.AuthNone
	}
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if g == model {
			return true
		}
		if ok, _ := path.Match(g, model); ok {
			return true
		}
	}
	return false
}

// usageWindow is the window of a consumer's first policy with a budget,
// else the calendar month: the window the limits engine reports.
func (ix *index) usageWindow(consumer string) config.BudgetWindow {
	if w, ok := ix.windows[consumer]; ok {
		return w
	}
	return config.BudgetMonth
}

// buildCatalogue lists the public models as /v1/models does: catalogue
// entries, first of a name wins (config.Default has added every exact route
// name).
func buildCatalogue(cfg *config.Config, ix *index) []ModelInfo {
	byName := map[string]bool{}
	var out []ModelInfo
	for _, m := range cfg.Models {
		if byName[m.Name] {
			continue
		}
		byName[m.Name] = true
		mi := ModelInfo{ID: m.Name, Provider: m.Provider, ContextWindow: m.ContextWindow, MaxOutputTokens: m.MaxOutputTokens,
			InputPerMillion: m.Pricing.InputPerMillion, OutputPerMillion: m.Pricing.OutputPerMillion, Capabilities: []string{}}
		for _, c := range m.Capabilities {
			mi.Capabilities = append(mi.Capabilities, strings.ToLower(string(c)))
		}
		out = append(out, mi)
	}
	for i := range out {
		out[i].Providers = ix.providersOf(out[i].ID)
		if len(out[i].Providers) == 0 {
			out[i].Providers = []string{out[i].Provider}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// providersOf lists the providers that may serve a public model, in the
// order the proxy's router matches: an exact route, else the catalogue
// entries of that name when no route matches it, else the first glob route.
func (ix *index) providersOf(model string) []string {
	cfg := ix.cfg
	for _, r := range cfg.Routes {
		if r.Model == model && !config.IsGlob(r.Model) {
			return backendProviders(r.Backends)
		}
	}
	var glob *config.Route
	for i := range cfg.Routes {
		if config.IsGlob(cfg.Routes[i].Model) && config.MatchModel(cfg.Routes[i].Model, model) {
			glob = &cfg.Routes[i]
			break
		}
	}
	if glob != nil {
		return backendProviders(glob.Backends)
	}
	var out []string
	for _, m := range cfg.Models {
		if m.Name == model && !slices.Contains(out, m.Provider) {
			out = append(out, m.Provider)
		}
	}
	return out
}

func backendProviders(bs []config.Backend) []string {
	var out []string
	for _, b := range bs {
		if !slices.Contains(out, b.Provider) {
			out = append(out, b.Provider)
		}
	}
	return out
}
