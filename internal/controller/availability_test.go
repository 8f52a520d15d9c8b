package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/poll"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// availabilityRead is one GET /availability the operator made: how the
// provider's rate stood ("down" < 50%, "up" ≥ 90%, "mid" between, "idle"
// under 5 attempts) and the Available status the API server held just
// before the answer was sent (what the previous rounds had decided).
type availabilityRead struct {
	class  string
	before metav1.ConditionStatus
}

// TestProviderAvailableHysteresis runs a real proxy whose only provider's
// upstream fails on request (x-mock-status), points the operator at its
// metrics listener, and checks the ModelProvider's Available condition:
// True under success, False only after two down readings in a row, held
// while the rate is between the thresholds, and True again only after
// three up readings in a row.
func TestProviderAvailableHysteresis(t *testing.T) {
	c := env(t)
	ns := namespace(t, c)
	ctx := context.Background()
	mp := mockProvider(ns, "flaky")
	must(t, c.Create(ctx, mp))
	must(t, c.Create(ctx, &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: ns}, Spec: v1alpha1.AIGatewaySpec{Replicas: ptr(int32(1))}}))

	up := mockup.New(t)
	key, k := proxytest.Key(t)
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "main", Namespace: ns},
		Auth: config.Auth{Mode: config.AuthAPIKey},
		Providers: []config.Provider{{Name: "flaky", Type: config.ProviderOpenAI, Endpoint: up.URL + "/v1", APIKey: "sk-vendor",
			AllowPrivateNetwork: true, ForwardHeaders: []string{"X-Mock-*"}}},
		Routes:    []config.Route{{Model: "m", Backends: []config.Backend{{Provider: "flaky", UpstreamModel: "m"}}, Retry: config.Retry{Attempts: 1}}},
		Consumers: []config.Consumer{{Name: "demo", Keys: []config.Key{k}}},
	}
	cfg.Default()
	must(t, cfg.Validate())
	s := proxy.New(proxy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := proxytest.Serve(t, s, cfg)

	var mu sync.Mutex
	var reads []availabilityRead
	metrics := s.MetricsHandler()
	mpKey := client.ObjectKeyFromObject(mp) // the test reads into mp while the handler runs
	ms := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		metrics.ServeHTTP(rec, r)
		if r.URL.Path == "/availability" {
			var rep config.AvailabilityReport
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err == nil {
				var cur v1alpha1.ModelProvider
				before := metav1.ConditionStatus("")
				if err := c.Get(r.Context(), mpKey, &cur); err == nil {
					if cond := meta.FindStatusCondition(cur.Status.Conditions, "Available"); cond != nil {
						before = cond.Status
					}
				}
				mu.Lock()
				reads = append(reads, availabilityRead{class: classify(rep), before: before})
				mu.Unlock()
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(ms.Close)
	usageAt.Store(ns+"/main", []string{ms.Listener.Addr().String()})
	t.Cleanup(func() { usageAt.Delete(ns + "/main") })

	send := func(n int, status string) {
		t.Helper()
		for range n {
			var hdr map[string]string
			if status != "" {
				hdr = map[string]string{"X-Mock-Status": status}
			}
			if code := proxytest.ChatStatus(t, ts.URL, key, "m", hdr); (status == "") != (code == http.StatusOK) {
				t.Fatalf("injected %q, got HTTP %d", status, code)
			}
		}
	}
	mark := func() int { mu.Lock(); defer mu.Unlock(); return len(reads) }
	// runBefore returns the status held before the nth reading of the
	// first run of class after from, or "" when there is none yet.
	runBefore := func(from int, class string, nth int) (metav1.ConditionStatus, bool) {
		mu.Lock()
		defer mu.Unlock()
		run := 0
		for _, rd := range reads[from:] {
			if rd.class != class {
				if run > 0 {
					return "", false // the run ended before its nth reading
				}
				continue
			}
			run++
			if run == nth {
				return rd.before, true
			}
		}
		return "", false
	}
	waitFor := func(status metav1.ConditionStatus, reason v1alpha1.ConditionReason) {
		t.Helper()
		poll.Until(t, 30*time.Second, func() error { return condition(ctx, c, mp, "Available", status, reason) })
	}

	// 20 successes: the first judged reading decides at once.
	send(20, "")
	waitFor(metav1.ConditionTrue, "Answering")

	// 30 failures: 20 of 50 (40%). One down reading does not flip it.
	from := mark()
	send(30, "503")
	waitFor(metav1.ConditionFalse, "Failing")
	if st, ok := runBefore(from, "down", 2); !ok || st != metav1.ConditionTrue {
		t.Errorf("before the second down reading Available was %q (found %v), want True: one bad round flipped it", st, ok)
	}
	must(t, c.Get(ctx, client.ObjectKeyFromObject(mp), mp))
	if cond := meta.FindStatusCondition(mp.Status.Conditions, "Available"); cond == nil || !strings.Contains(cond.Message, "server_error") {
		t.Errorf("Failing message names no error class: %+v", cond)
	}

	// 50 successes: 70 of 100, between the thresholds: held False.
	from = mark()
	send(50, "")
	poll.Until(t, 30*time.Second, func() error {
		if st, ok := runBefore(from, "mid", 4); !ok || st != metav1.ConditionFalse {
			return fmt.Errorf("fourth mid reading: %q %v, want False held", st, ok)
		}
		return nil
	})
	must(t, condition(ctx, c, mp, "Available", metav1.ConditionFalse, "Failing"))

	// 200 successes: 270 of 300 (90%). True only after three up readings.
	from = mark()
	send(200, "")
	waitFor(metav1.ConditionTrue, "Answering")
	if st, ok := runBefore(from, "up", 3); !ok || st != metav1.ConditionFalse {
		t.Errorf("before the third up reading Available was %q (found %v), want False: recovery flipped too soon", st, ok)
	}
}

func classify(rep config.AvailabilityReport) string {
	for _, p := range rep.Providers {
		if p.Name != "flaky" {
			continue
		}
		rate := float64(p.Succeeded) / float64(max(p.Attempts, 1))
		switch {
		case p.Attempts < 5:
			return "idle"
		case rate < 0.5:
			return "down"
		case rate >= 0.9:
			return "up"
		}
		return "mid"
	}
	return "idle"
}
