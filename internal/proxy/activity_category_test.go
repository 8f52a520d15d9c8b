package proxy

import (
	"net/http"
	"strings"
	"testing"
)

// A request names its category with X-Tollgate-Category; the record
// carries it normalised, GET /v1/activity filters by it, and a malformed
// header is no category (a malformed filter is a 400).
func TestActivityCategory(t *testing.T) {
	g, key, _, _ := activityGateway(t, nil)
	coding, _ := chat(t, g, key, "m", false, map[string]string{"X-Tollgate-Category": " Coding ", "X-Title": "Acme Coder"})
	agents, _ := chat(t, g, key, "m", true, map[string]string{"X-Tollgate-Category": "agents"})
	chat(t, g, key, "m", false, map[string]string{"X-Tollgate-Category": "<script>"})
	chat(t, g, key, "m", false, nil)

	// A fresh list per decode: omitted fields would keep the last page's.
	var l activityList
	if c := getJSON(t, g, "/v1/activity?category=coding", key, &l); c != http.StatusOK || len(l.Data) != 1 ||
		l.Data[0].ID != coding || l.Data[0].Category != "coding" || l.Data[0].App != "Acme Coder" {
		t.Fatalf("category=coding: %d %+v", c, l.Data)
	}
	l = activityList{}
	if c := getJSON(t, g, "/v1/activity?category=agents", key, &l); c != http.StatusOK || len(l.Data) != 1 || l.Data[0].ID != agents {
		t.Fatalf("category=agents: %d %+v", c, l.Data)
	}
	l = activityList{}
	if c := getJSON(t, g, "/v1/activity", key, &l); c != http.StatusOK || len(l.Data) != 4 || l.Data[0].Category != "" || l.Data[1].Category != "" {
		t.Fatalf("all: %d %+v", c, l.Data)
	}
	resp := g.do(t, http.MethodGet, "/v1/activity?category=Not%20One", key, "", nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"param":"category"`) {
		t.Errorf("bad category filter: %d %s", resp.StatusCode, body)
	}
}
