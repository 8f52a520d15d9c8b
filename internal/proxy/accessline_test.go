package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// TestAccessLineIsSlogs: the access line encoder writes what
// slog.NewJSONHandler writes for the same record, byte for byte, and
// declines what it cannot write so.
func TestAccessLineIsSlogs(t *testing.T) {
	at := time.Date(2026, 12, 2, 19, 50, 30, 712541316, time.UTC)
	floats := []float64{0, 1, -1, 0.5, 123.456, 1e-6, 9.99e-7, 1e-7, 1.5e-9, 1e20, 1e21, 1.2345e22, -3e-8, math.MaxFloat64,
		math.SmallestNonzeroFloat64, 0.000123, 42.1, 1.0 / 3}
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn} {
		for _, f := range floats {
			attrs := []slog.Attr{slog.String("generation_id", "gen-abc_123"), slog.String("consumer", "team-a"),
				slog.String("model", "gpt-4o-mini"), slog.String("empty", ""), slog.Int("status", 200), slog.Int64("n", -9223372036854775808),
				slog.Bool("stream", true), slog.Bool("cached", false), slog.Float64("cost_usd", f),
				slog.String("detail", "upstream said: 'no' (code 7) ~ { } [ ] < > & / ?")}
			want := slogLine(t, at, level, attrs)
			got, ok := appendAccessLine(nil, at, level, "request", attrs)
			if !ok || string(got) != want {
				t.Errorf("float %g level %s:\n got %q (ok %t)\nwant %q", f, level, got, ok, want)
			}
		}
	}
	for _, a := range []slog.Attr{slog.String("detail", `a "quoted" word`), slog.String("detail", `back\slash`),
		slog.String("detail", "line\nbreak"), slog.String("app", "café"), slog.String("bad", "\xff"),
		slog.Float64("x", math.Inf(1)), slog.Float64("x", math.NaN()), slog.Duration("d", time.Second), slog.Any("v", []int{1}),
		slog.String("ké", "v")} {
		if _, ok := appendAccessLine(nil, at, slog.LevelInfo, "request", []slog.Attr{a}); ok {
			t.Errorf("%v: encoded, want it left to slog", a)
		}
	}
}

func slogLine(t *testing.T, at time.Time, level slog.Level, attrs []slog.Attr) string {
	t.Helper()
	var buf bytes.Buffer
	r := slog.NewRecord(at, level, "request", 0)
	r.AddAttrs(attrs...)
	if err := slog.NewJSONHandler(&buf, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestAccessLogWrittenDirectly: with Options.AccessLog the request's line
// reaches the writer as JSON with the call's figures, events still go
// through the logger, and a level above info drops the line. The client's
// app name is hostile (quotes and backslashes that would end the string
// and forge a status, and a byte that is not UTF-8): it stays one string
// of one line, and the status stays the real one.
func TestAccessLogWrittenDirectly(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn} {
		for _, hostileApp := range hostileApps {
			checkAccessLogWrittenDirectly(t, level, hostileApp)
		}
	}
}

func checkAccessLogWrittenDirectly(t *testing.T, level slog.Level, hostileApp string) {
	var buf bytes.Buffer
	out := NewLogWriter(&buf)
	up := benchUpstream()
	cfg, key := baseConfig(t, []config.Provider{{Name: "p", Type: config.ProviderOpenAI, Endpoint: up.URL + "/v1", APIKey: "sk-test", AllowPrivateNetwork: true}},
		config.Backend{Provider: "p", UpstreamModel: "m", Weight: new(1), Pricing: benchPrice})
	s := New(Options{Logger: slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level})), AccessLog: out})
	if err := s.Load(cfg); err != nil {
		t.Fatal(err)
	}
	tg := httptest.NewServer(s)
	req, _ := http.NewRequest(http.MethodPost, tg.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Title", hostileApp)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	tg.Close()
	s.Close()
	up.Close()
	var line map[string]any
	lines := 0
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("level %s: a line is not JSON: %q", level, l)
		}
		if v["msg"] == "request" {
			line = v
			lines++
		}
	}
	if lines > 1 {
		t.Errorf("level %s: %d access lines for one request", level, lines)
	}
	if level > slog.LevelInfo {
		if line != nil {
			t.Errorf("level %s: the access line was written: %v", level, line)
		}
		return
	}
	if line == nil {
		t.Fatalf("no access line in %q", buf.String())
	}
	if line["level"] != "INFO" || line["status"] != float64(200) || line["consumer"] == "" || line["input_tokens"] != float64(9) ||
		line["output_tokens"] != float64(1) || line["usage_reported"] != true || line["backend"] == "" {
		t.Errorf("access line %v", line)
	}
	if want := strings.ToValidUTF8(hostileApp, "\ufffd"); line["app"] != want {
		t.Errorf("app %q, want %q", line["app"], want)
	}
	if _, forged := line["forged"]; forged {
		t.Errorf("the app name forged a field: %v", line)
	}
	if _, err := time.Parse(time.RFC3339Nano, line["time"].(string)); err != nil {
		t.Errorf("time %v: %v", line["time"], err)
	}
}

// hostileApps would end a JSON string early and add fields if written
// unescaped. A string with a byte to escape must leave the direct writer
// for slog; a direct writer that took either as is fails the test.
var hostileApps = []string{`evil", "status": 500, "forged": "\\`, `evil", "forged": 1, "x": "` + "\xff"}
