package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/activity"
)

// serveActivityLog serves the console with a real in-memory activity log
// holding recs.
func serveActivityLog(t *testing.T, recs []activity.Record, opts activity.Options) *fixture {
	t.Helper()
	st := activity.NewMemory(opts)
	for i := range recs {
		st.Add(&recs[i])
	}
	return serveWith(t, func(d *Deps) { d.Activity = st.List })
}

func sampleRecords(now time.Time) []activity.Record {
	rec := func(i int, consumer, app, category, model string, in, out int64, status int, age time.Duration) activity.Record {
		return activity.Record{ID: fmt.Sprintf("gen-%024x", i), Time: now.Add(-age).UnixMilli(), Consumer: consumer, App: app, Category: category,
			Model: model, Provider: "p-" + model, InputTokens: in, OutputTokens: out, Cost: float64(in+out) / 1e6, Status: status}
	}
	return []activity.Record{
		rec(1, "team-a", "Acme Coder", "coding", "small", 100, 50, 200, 3*24*time.Hour),
		rec(2, "team-b", "Acme Coder", "coding", "big", 400, 100, 200, 2*time.Hour),
		rec(3, "team-b", "Agent Smith", "agents", "big", 1000, 1000, 200, time.Hour),
		rec(4, "team-a", "", "", "small", 10, 0, 429, time.Minute),
	}
}

type rankingAnswer struct {
	By        string                `json:"by"`
	Period    string                `json:"period"`
	Data      []activity.RankingRow `json:"data"`
	Truncated bool                  `json:"truncated"`
}

func TestAdminRankingsAcrossConsumers(t *testing.T) {
	f := serveActivityLog(t, sampleRecords(time.Now()), activity.Options{})
	get := func(q string) rankingAnswer {
		t.Helper()
		resp, body := f.get(t, "GET", "/console/api/rankings?"+q, "key-admin")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", q, resp.StatusCode, body)
		}
		var a rankingAnswer
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	keys := func(a rankingAnswer) string {
		var out []string
		for _, r := range a.Data {
			out = append(out, fmt.Sprintf("%s=%d/%d", r.Key, r.Tokens, r.Requests))
		}
		return strings.Join(out, ",")
	}
	for q, want := range map[string]string{
		"":                            "Agent Smith=2000/1,Acme Coder=650/2,=10/1",
		"by=category&period=day":      "agents=2000/1,coding=500/1,=10/1",
		"by=consumer&period=week":     "team-b=2500/2,team-a=160/2",
		"by=consumer&period=day":      "team-b=2500/2,team-a=10/1",
		"by=model&period=month":       "big=2500/2,small=160/2",
		"by=provider&period=week":     "p-big=2500/2,p-small=160/2",
		"by=app&period=day":           "Agent Smith=2000/1,Acme Coder=500/1,=10/1",
		"by=category&period=week&x=1": "agents=2000/1,coding=650/2,=10/1",
	} {
		if got := keys(get(q)); got != want {
			t.Errorf("rankings?%s = %s, want %s", q, got, want)
		}
	}
	for q, param := range map[string]string{"by=colour": "by", "period=year": "period"} {
		resp, body := f.get(t, "GET", "/console/api/rankings?"+q, "key-admin")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"param":"`+param+`"`) {
			t.Errorf("rankings?%s: %d %s", q, resp.StatusCode, body)
		}
	}
}

func TestAdminRankingsAreBounded(t *testing.T) {
	now := time.Now()
	recs := make([]activity.Record, activity.RankingScan+activity.MaxPageSize)
	for i := range recs {
		recs[i] = activity.Record{ID: fmt.Sprintf("gen-%024x", i+1), Time: now.UnixMilli(), Consumer: "team-a", Model: "m", InputTokens: 1, Status: 200}
	}
	f := serveActivityLog(t, recs, activity.Options{MaxRecords: len(recs)})
	resp, body := f.get(t, "GET", "/console/api/rankings?by=model", "key-admin")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var a rankingAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	if !a.Truncated || len(a.Data) != 1 || a.Data[0].Requests != activity.RankingScan {
		t.Fatalf("want the first %d records ranked and truncated: %s", activity.RankingScan, body)
	}
}

func TestAdminActivityFiltersAndPages(t *testing.T) {
	f := serveActivityLog(t, sampleRecords(time.Now()), activity.Options{})
	page := func(q string) (ids []string, next string) {
		t.Helper()
		resp, body := f.get(t, "GET", "/console/api/activity?"+q, "key-admin")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", q, resp.StatusCode, body)
		}
		var a struct {
			Data []activity.Record `json:"data"`
			Next string            `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		for _, r := range a.Data {
			ids = append(ids, r.ID[len(r.ID)-1:])
		}
		return ids, a.Next
	}
	for q, want := range map[string]string{
		"":                              "4,3,2,1",
		"consumer=team-b":               "3,2",
		"status=error":                  "4",
		"app=Acme%20Coder":              "2,1",
		"category=agents":               "3",
		"model=small&status=2xx":        "1",
		"from=" + unixAgo(26*time.Hour): "4,3,2",
	} {
		if ids, _ := page(q); strings.Join(ids, ",") != want {
			t.Errorf("activity?%s = %v, want %s", q, ids, want)
		}
	}
	first, next := page("limit=3")
	if strings.Join(first, ",") != "4,3,2" || next == "" {
		t.Fatalf("first page %v next %q", first, next)
	}
	if rest, end := page("limit=3&cursor=" + next); strings.Join(rest, ",") != "1" || end != "" {
		t.Fatalf("second page %v next %q", rest, end)
	}
	for q, param := range map[string]string{"limit=0": "limit", "status=teapot": "status", "from=yesterday": "from", "cursor=zz": "cursor", "category=Not%20One": "category"} {
		resp, body := f.get(t, "GET", "/console/api/activity?"+q, "key-admin")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"param":"`+param+`"`) {
			t.Errorf("activity?%s: %d %s", q, resp.StatusCode, body)
		}
	}
}

func unixAgo(d time.Duration) string { return fmt.Sprint(time.Now().Add(-d).Unix()) }

func TestActivityAndRankingsAreAdminOnly(t *testing.T) {
	f := serveActivityLog(t, sampleRecords(time.Now()), activity.Options{})
	for _, p := range []string{"/console/api/activity", "/console/api/rankings?by=consumer"} {
		resp, body := f.get(t, "GET", p, "key-a")
		if resp.StatusCode != http.StatusForbidden || strings.Contains(string(body), "team-b") {
			t.Errorf("consumer GET %s: %d %s", p, resp.StatusCode, body)
		}
		if resp, _ := f.get(t, "GET", p, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a key: %d", p, resp.StatusCode)
		}
	}
	// A console without an activity log says so to the admin.
	plain := serve(t, true)
	if resp, _ := plain.get(t, "GET", "/console/api/rankings", "key-admin"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("rankings without an activity log: %d", resp.StatusCode)
	}
}

func TestActivitySourceFailureIs503(t *testing.T) {
	f := serveWith(t, func(d *Deps) {
		d.Activity = func(context.Context, activity.Filter) (activity.Page, error) {
			return activity.Page{}, fmt.Errorf("redis: connection refused")
		}
	})
	for _, p := range []string{"/console/api/activity", "/console/api/rankings"} {
		resp, body := f.get(t, http.MethodGet, p, "key-admin")
		if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), "redis") {
			t.Errorf("GET %s with a failing log: %d %s", p, resp.StatusCode, body)
		}
	}
}
