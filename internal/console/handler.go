package console

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Prefix is where the proxy mounts the console: the handler expects full
// request paths (mount it with mux.Handle(Prefix, h), without StripPrefix).
const Prefix = "/console/"

// contentSecurityPolicy lets the page load only its own files and call only
// its own origin (the console API and the gateway's /v1 API).
const contentSecurityPolicy = "default-src 'self'; connect-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// unauthorizedBody is the one answer to every authentication failure.
var unauthorizedBody = []byte(`{"error":{"message":"A valid consumer or admin key is required.","type":"invalid_request_error","code":"invalid_api_key"}}` + "\n")

type handler struct {
	d      Deps
	static *staticFiles
}

// New returns the console's handler. It serves the page under Prefix and
// the JSON API under Prefix+"api/".
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.UsageTimeout <= 0 {
		d.UsageTimeout = 10 * time.Second
	}
	return &handler{d: d, static: mustStatic()}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.d.Enabled != nil && !h.d.Enabled() {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	p := r.URL.Path
	if p == strings.TrimSuffix(Prefix, "/") {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	rest, ok := strings.CutPrefix(p, Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if api, isAPI := strings.CutPrefix(rest, "api/"); isAPI {
		h.serveAPI(w, r, api)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.static.serve(w, r, rest)
}

func (h *handler) serveAPI(w http.ResponseWriter, r *http.Request, endpoint string) {
	w.Header().Set("Cache-Control", "no-store")
	p, ok := h.d.Auth.Authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tollgate-console"`)
		writeRaw(w, http.StatusUnauthorized, unauthorizedBody)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeJSON(w, http.StatusMethodNotAllowed, apiError("Only GET is allowed here.", "method_not_allowed"))
		return
	}
	switch endpoint {
	case "session":
		writeJSON(w, http.StatusOK, p)
	case "models":
		models := h.d.Catalog.Models(p)
		if models == nil {
			models = []ModelInfo{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"models": models})
	case "usage":
		h.serveUsage(w, r, p)
	case "activity":
		h.serveActivity(w, r, p)
	case "rankings":
		h.serveRankings(w, r, p)
	default:
		writeJSON(w, http.StatusNotFound, apiError("Unknown console endpoint.", "not_found"))
	}
}

// usageResponse is the usage report as the page receives it, with totals.
type usageResponse struct {
	Principal Principal        `json:"principal"`
	Source    string           `json:"source"`
	Windows   []ConsumerWindow `json:"windows"`
	Rows      []UsageRow       `json:"rows"`
	Totals    UsageRow         `json:"totals"`
}

func (h *handler) serveUsage(w http.ResponseWriter, r *http.Request, p Principal) {
	ctx, cancel := context.WithTimeout(r.Context(), h.d.UsageTimeout)
	defer cancel()
	rep, err := h.d.Usage.Usage(ctx, p)
	if err != nil {
		h.d.Logger.LogAttrs(r.Context(), slog.LevelWarn, "console usage unavailable",
			slog.String("consumer", p.Consumer), slog.Bool("admin", p.Admin), slog.String("error", err.Error()))
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, apiError("Usage is unavailable right now; retry shortly.", "usage_unavailable"))
		return
	}
	out := scope(rep, p)
	out.Principal = p
	writeJSON(w, http.StatusOK, out)
}

// scope keeps what the principal may see, whatever the source returned: a
// consumer's own rows and window only. It sorts rows by tokens, largest
// first, and adds them up.
func scope(rep UsageReport, p Principal) usageResponse {
	out := usageResponse{Source: rep.Source, Windows: []ConsumerWindow{}, Rows: []UsageRow{}}
	for _, cw := range rep.Windows {
		if p.Admin || cw.Consumer == p.Consumer {
			out.Windows = append(out.Windows, cw)
		}
	}
	for _, row := range rep.Rows {
		if !p.Admin && row.Consumer != p.Consumer {
			continue
		}
		out.Rows = append(out.Rows, row)
		out.Totals.Requests += row.Requests
		out.Totals.InputTokens += row.InputTokens
		out.Totals.OutputTokens += row.OutputTokens
		out.Totals.CostUSD += row.CostUSD
	}
	sort.SliceStable(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		if ta, tb := a.InputTokens+a.OutputTokens, b.InputTokens+b.OutputTokens; ta != tb {
			return ta > tb
		}
		if a.Consumer != b.Consumer {
			return a.Consumer < b.Consumer
		}
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		return a.Provider < b.Provider
	})
	return out
}

func apiError(msg, code string) map[string]any {
	return map[string]any{"error": map[string]string{"message": msg, "type": "invalid_request_error", "code": code}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeRaw(w, http.StatusInternalServerError, []byte(`{"error":{"message":"encoding the answer failed","type":"server_error"}}`+"\n"))
		return
	}
	writeRaw(w, status, append(b, '\n'))
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
