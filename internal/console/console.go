// Package console serves the gateway's web console at /console/: a model
// catalogue, a side-by-side chat playground and usage rankings, as a small
// static page (built from web/ into dist/ and embedded) plus a JSON API
// under /console/api/.
//
// The handler depends only on the small interfaces below, so it can be
// tested with fakes; FromConfig and FromFunc adapt a compiled config, the
// limits engine and an in-process Recorder to them. The page keeps the key
// it was given in memory only and calls the gateway's own /v1 API with it
// for the playground; the console API never sees a request body with a key.
//
// Authorization is enforced here as well as in the sources: a consumer key
// sees the models it may use and its own usage only, an admin key
// (Config.Console.AdminKeys) sees every model and every consumer's usage,
// activity and rankings (Deps.Activity).
// Every authentication failure gets the same 401.
package console

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Principal is who a console request authenticated as.
type Principal struct {
	// Consumer is the consumer's name; empty for an admin key.
	Consumer string `json:"consumer"`
	// Admin keys see every consumer's usage and every model.
	Admin bool `json:"admin"`
}

// ModelInfo is one catalogue entry as the console shows it.
type ModelInfo struct {
	ID string `json:"id"`
	// Provider is the catalogue's provider of the model (the first
	// backend's provider for a model only a route names).
	Provider string `json:"provider"`
	// Providers are every provider that may serve the model (fallbacks
	// and weighted backends included), Provider first.
	Providers        []string `json:"providers"`
	ContextWindow    int64    `json:"contextWindow,omitempty"`
	MaxOutputTokens  int64    `json:"maxOutputTokens,omitempty"`
	InputPerMillion  float64  `json:"inputPerMillion"`
	OutputPerMillion float64  `json:"outputPerMillion"`
	// Capabilities are lower-case words: chat, streaming, tools, vision,
	// embeddings, jsonmode.
	Capabilities []string `json:"capabilities"`
}

// UsageRow is one (consumer, model, provider) line of usage.
type UsageRow struct {
	Consumer string `json:"consumer"`
	Model    string `json:"model"`
	// Provider is "" when usage cannot be attributed to one provider (a
	// model with several backends, counted before this replica started).
	Provider     string  `json:"provider"`
	Requests     int64   `json:"requests"`
	InputTokens  int64   `json:"inputTokens"`
	OutputTokens int64   `json:"outputTokens"`
	CostUSD      float64 `json:"costUSD"`
}

// ConsumerWindow is the usage window a consumer's rows were counted in.
type ConsumerWindow struct {
	Consumer string `json:"consumer"`
	// Window is Day, Week or Month (UTC calendar); Period names it
	// ("2026-11", "2026-W48", "2026-11-25").
	Window string    `json:"window"`
	Period string    `json:"period"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

// UsageReport is the usage of the consumers in a principal's scope.
type UsageReport struct {
	Windows []ConsumerWindow `json:"windows"`
	Rows    []UsageRow       `json:"rows"`
	// Source says where the totals come from: "limits" (the shared
	// counters the limits use, provider split by this replica's recorder)
	// or "recorder" (this replica only, since it started).
	Source string `json:"source"`
}

// Authenticator recognises console keys.
type Authenticator interface {
	// Authenticate returns the principal of the key in the request's
	// Authorization: Bearer header, or false.
	Authenticate(r *http.Request) (Principal, bool)
}

// Catalog lists the models a principal may use.
type Catalog interface {
	Models(p Principal) []ModelInfo
}

// UsageSource reports usage in the current window.
type UsageSource interface {
	// Usage returns the rows of every consumer for an admin, and the
	// principal's own otherwise.
	Usage(ctx context.Context, p Principal) (UsageReport, error)
}

// Deps are the console's dependencies.
type Deps struct {
	// Enabled is asked per request; when false the console answers 404
	// as if it were not mounted. Nil means enabled.
	Enabled func() bool
	Auth    Authenticator
	Catalog Catalog
	Usage   UsageSource
	// Activity, when set, is the gateway's activity log: the admin's
	// activity and rankings across consumers (/console/api/activity and
	// /console/api/rankings). Nil answers those with 404.
	Activity ActivitySource
	// Recorder is the in-process usage recorder the proxy feeds after
	// each request (see Recorder.Record); the console does not call it.
	Recorder *Recorder
	// Logger receives usage-source errors (never key material); default
	// slog.Default().
	Logger *slog.Logger
	// UsageTimeout bounds one usage query, activity page or ranking;
	// default 10s.
	UsageTimeout time.Duration
}
