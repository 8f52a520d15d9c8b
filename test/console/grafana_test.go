package console_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/metrics"
)

// describing is a Registerer that keeps the metric and label names of
// what registers.
type describing struct{ names, labels map[string]bool }

func (d *describing) add(c prometheus.Collector) {
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		if m := fqName.FindStringSubmatch(desc.String()); m != nil {
			d.names[m[1]] = true
		}
		if m := varLabels.FindStringSubmatch(desc.String()); m != nil {
			for _, l := range strings.Split(m[1], ",") {
				d.labels[strings.TrimSpace(l)] = true
			}
		}
	}
}

func (d *describing) Register(c prometheus.Collector) error { d.add(c); return nil }
func (d *describing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		d.add(c)
	}
}
func (d *describing) Unregister(prometheus.Collector) bool { return true }

var (
	fqName    = regexp.MustCompile(`fqName: "([^"]+)"`)
	varLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

// gatewayMetricNames lists every metric the gateway exports: the
// collectors of internal/metrics and those the limits engine registers.
func gatewayMetricNames(t *testing.T) (names, labels map[string]bool) {
	t.Helper()
	d := &describing{names: map[string]bool{}, labels: map[string]bool{}}
	m := reflect.ValueOf(metrics.New()).Elem()
	for i := 0; i < m.NumField(); i++ {
		if c, ok := m.Field(i).Interface().(prometheus.Collector); ok && m.Type().Field(i).Name != "Registry" {
			d.add(c)
		}
	}
	cfg := &config.Config{Version: config.SchemaVersion}
	e, err := limits.New(cfg, limits.WithRegisterer(d))
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Close()
	return d.names, d.labels
}

// TestGrafanaDashboardUsesExportedMetrics fails when a panel queries a
// metric the gateway does not export (a renamed or removed metric).
func TestGrafanaDashboardUsesExportedMetrics(t *testing.T) {
	b, err := os.ReadFile("../../config/grafana/tollgate-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	known, labels := gatewayMetricNames(t)
	if !known["tollgate_requests_total"] || !known["tollgate_ratelimit_decisions_total"] || !labels["gen_ai_provider_name"] {
		t.Fatalf("metric discovery is broken: %v %v", known, labels)
	}
	metricRef := regexp.MustCompile(`\b((?:tollgate|gen_ai)_[a-z_]+)\b`)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range metricRef.FindAllStringSubmatch(tg.Expr, -1) {
				name := m[1]
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
				if known[name] || known[base] {
					used[base] = true
					continue
				}
				if labels[name] { // gen_ai_request_model is a label
					continue
				}
				t.Errorf("panel %q queries %s, which the gateway does not export", p.Title, name)
			}
		}
	}
	var missing []string
	for _, want := range []string{"tollgate_requests_total", "tollgate_request_duration_seconds", "gen_ai_server_time_to_first_token_seconds",
		"gen_ai_client_token_usage", "tollgate_tokens_total", "tollgate_cost_usd_total", "tollgate_upstream_errors_total",
		"tollgate_ratelimit_decisions_total"} {
		if !used[want] {
			missing = append(missing, want)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the dashboard shows none of %v", missing)
	}
}
