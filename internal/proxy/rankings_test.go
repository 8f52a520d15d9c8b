package proxy

import (
	"net/http"
	"testing"
	"time"
)

// GET /v1/rankings sums the caller's own records of the period by app and
// by category, most tokens first; another consumer's and older records
// are not counted.
// The records' times are real; the gateway's clock moves to age them.
func TestRankingsByAppAndCategory(t *testing.T) {
	g, key, other, clock := activityGateway(t, nil)
	for range 3 {
		chat(t, g, key, "m", false, map[string]string{"X-Title": "Acme Coder", "X-Tollgate-Category": "coding"})
	}
	chat(t, g, key, "m2", false, map[string]string{"X-Title": "Agent Smith", "X-Tollgate-Category": "agents"})
	chat(t, g, other, "m", false, map[string]string{"X-Title": "Elsewhere", "X-Tollgate-Category": "agents"})

	type ranking struct {
		By   string `json:"by"`
		Data []struct {
			Key      string `json:"key"`
			Requests int64  `json:"requests"`
			Tokens   int64  `json:"tokens"`
		} `json:"data"`
	}
	var byApp ranking
	if c := getJSON(t, g, "/v1/rankings?by=app&period=day", key, &byApp); c != http.StatusOK || byApp.By != "app" || len(byApp.Data) != 2 {
		t.Fatalf("by app: %d %+v", c, byApp)
	}
	if a, b := byApp.Data[0], byApp.Data[1]; a.Key != "Acme Coder" || a.Requests != 3 || b.Key != "Agent Smith" || b.Requests != 1 || a.Tokens != 3*b.Tokens || b.Tokens == 0 {
		t.Errorf("by app: %+v", byApp.Data)
	}
	var byCat ranking
	if c := getJSON(t, g, "/v1/rankings?by=category&period=day", key, &byCat); c != http.StatusOK || len(byCat.Data) != 2 {
		t.Fatalf("by category: %d %+v", c, byCat)
	}
	if a, b := byCat.Data[0], byCat.Data[1]; a.Key != "coding" || a.Requests != 3 || b.Key != "agents" || b.Requests != 1 {
		t.Errorf("by category: %+v", byCat.Data)
	}
	// Two days on: out of the day, still in the week.
	clock.Add(int64(2 * 24 * time.Hour))
	var day, week ranking
	if c := getJSON(t, g, "/v1/rankings?by=category&period=day", key, &day); c != http.StatusOK || len(day.Data) != 0 {
		t.Errorf("a day, two days on: %d %+v", c, day)
	}
	if c := getJSON(t, g, "/v1/rankings?by=category&period=week", key, &week); c != http.StatusOK || len(week.Data) != 2 || week.Data[0].Requests != 3 {
		t.Errorf("a week, two days on: %d %+v", c, week)
	}
	for _, q := range []string{"by=colour", "period=year"} {
		if resp := g.do(t, http.MethodGet, "/v1/rankings?"+q, key, "", nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", q, resp.StatusCode)
		}
	}
	if resp := g.do(t, http.MethodGet, "/v1/rankings", "", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no key: %d", resp.StatusCode)
	}
}
