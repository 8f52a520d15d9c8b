package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/poll"
	"github.com/tollgate-dev/tollgate/test/mcpbackends"
)

// brokenOpenAPI declares a path parameter nowhere: the error is at the
// operation, line 5 column 5.
const brokenOpenAPI = `openapi: 3.0.3
info: {title: Broken, version: "1"}
paths:
  /a/{id}:
    get:
      responses:
        "200": {description: ok}
`

func notesServer(ns, name string) *v1alpha1.MCPServer {
	return &v1alpha1.MCPServer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"tools": "public"}},
		Spec: v1alpha1.MCPServerSpec{OpenAPI: &v1alpha1.OpenAPISource{
			BaseURL:  "https://notes.example.com/api",
			Document: v1alpha1.OpenAPIDocument{Inline: ptr(mcpbackends.NotesOpenAPI)},
			Credentials: &v1alpha1.OpenAPICredentials{Type: v1alpha1.OpenAPIAuthAPIKeyHeader, Name: ptr(v1alpha1.HeaderName("X-API-Key")),
				SecretRef: v1alpha1.SecretKeyReference{Name: "notes-key", Key: "apiKey"}},
		}},
	}
}

// mcpCondition reads ms and checks one of its conditions at its generation.
func mcpCondition(ctx context.Context, c client.Client, ms *v1alpha1.MCPServer, t v1alpha1.ConditionType, status metav1.ConditionStatus, reason v1alpha1.ConditionReason, msg string) error {
	if err := c.Get(ctx, client.ObjectKeyFromObject(ms), ms); err != nil {
		return err
	}
	if ms.Status.ObservedGeneration != ms.Generation {
		return fmt.Errorf("%s: observedGeneration %d, generation %d", ms.Name, ms.Status.ObservedGeneration, ms.Generation)
	}
	for _, cd := range ms.Status.Conditions {
		if cd.Type != string(t) {
			continue
		}
		if cd.Status != status || cd.Reason != string(reason) || !strings.Contains(cd.Message, msg) {
			return fmt.Errorf("%s: %s is %s/%s %q, want %s/%s containing %q", ms.Name, t, cd.Status, cd.Reason, cd.Message, status, reason, msg)
		}
		return nil
	}
	return fmt.Errorf("%s: no %s condition in %+v", ms.Name, t, ms.Status.Conditions)
}

// gatewayMCP reads the MCP servers of the gateway's compiled config.
func gatewayMCP(ctx context.Context, c client.Client, ns string) ([]config.MCPServer, error) {
	cfg, err := servedConfig(ctx, c, ns)
	if err != nil {
		return nil, err
	}
	return cfg.MCPServers, nil
}

func toolNames(m config.MCPServer) []string {
	var out []string
	for _, t := range m.OpenAPI.Tools {
		out = append(out, t.Name)
	}
	slices.Sort(out)
	return out
}

func TestMCPServerLifecycle(t *testing.T) {
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)

	// Secret missing: ResolvedRefs=False, nothing served.
	notes := notesServer(ns, "notes")
	must(t, c.Create(ctx, notes))
	poll.Until(t, converge, func() error {
		return mcpCondition(ctx, c, notes, v1alpha1.ConditionResolvedRefs, metav1.ConditionFalse, v1alpha1.ReasonSecretNotFound, `Secret "notes-key"`)
	})
	if notes.Status.Tools != 0 {
		t.Errorf("tools = %d while the Secret is missing", notes.Status.Tools)
	}
	// The Secret arriving is watched: accepted, five tools.
	must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "notes-key", Namespace: ns},
		StringData: map[string]string{"apiKey": mcpbackends.NotesKey}}))
	poll.Until(t, converge, func() error {
		if err := mcpCondition(ctx, c, notes, v1alpha1.ConditionReady, metav1.ConditionTrue, "Ready", "serves 5 tools"); err != nil {
			return err
		}
		if err := mcpCondition(ctx, c, notes, v1alpha1.ConditionAccepted, metav1.ConditionTrue, v1alpha1.ReasonAccepted, ""); err != nil {
			return err
		}
		if notes.Status.Tools != 5 {
			return fmt.Errorf("status.tools = %d, want 5", notes.Status.Tools)
		}
		return nil
	})
	for _, cd := range notes.Status.Conditions {
		if strings.Contains(cd.Message, mcpbackends.NotesKey) {
			t.Errorf("condition %s shows the API key", cd.Type)
		}
	}

	// An invalid document: Accepted=False with the error's line and column.
	broken := &v1alpha1.MCPServer{
		ObjectMeta: metav1.ObjectMeta{Name: "broken", Namespace: ns, Labels: map[string]string{"tools": "public"}},
		Spec: v1alpha1.MCPServerSpec{OpenAPI: &v1alpha1.OpenAPISource{BaseURL: "https://broken.example.com",
			Document: v1alpha1.OpenAPIDocument{Inline: ptr(brokenOpenAPI)}}},
	}
	must(t, c.Create(ctx, broken))
	poll.Until(t, converge, func() error {
		return mcpCondition(ctx, c, broken, v1alpha1.ConditionAccepted, metav1.ConditionFalse, v1alpha1.ReasonInvalid,
			"line 5, column 5: GET /a/{id}: path parameter {id} is not declared")
	})

	// The printer column, as kubectl get shows it (server-side table).
	cols, rows := table(t, ns)
	if !slices.Equal(cols, []string{"Name", "Tools", "Ready", "Age"}) {
		t.Errorf("columns %v", cols)
	}
	if got := rows["notes"]; len(got) < 3 || got[1] != float64(5) || got[2] != "True" {
		t.Errorf("kubectl get row of notes: %v", got)
	}
	// No tools: status.tools is omitted, the cell empty.
	if got := rows["broken"]; len(got) < 3 || got[1] != nil || got[2] != "False" {
		t.Errorf("kubectl get row of broken: %v", got)
	}

	// A gateway selecting both serves notes (with its credential) and
	// leaves broken out.
	gw := samples(t, c, ns, func(gw *v1alpha1.AIGateway) {
		gw.Spec.MCPServerSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"tools": "public"}}
	})
	poll.Until(t, converge, func() error {
		ms, err := gatewayMCP(ctx, c, ns)
		if err != nil {
			return err
		}
		if len(ms) != 1 || ms[0].Name != "notes" || ms[0].OpenAPI == nil {
			return fmt.Errorf("compiled MCP servers %+v", ms)
		}
		if got := strings.Join(toolNames(ms[0]), ","); got != "createNote,deleteNote,getNote,get_health,listNotes" {
			return fmt.Errorf("compiled tools %s", got)
		}
		if a := ms[0].OpenAPI.Auth; a == nil || a.Secret != mcpbackends.NotesKey || a.Name != "X-API-Key" {
			return fmt.Errorf("compiled credential %+v", a)
		}
		return nil
	})
	must(t, c.Get(ctx, client.ObjectKeyFromObject(gw), gw))
	if strings.Contains(fmt.Sprint(gw.Status), mcpbackends.NotesKey) {
		t.Error("the gateway's status shows the API key")
	}

	// Once the gateway has settled, a spec change of the MCPServer
	// re-renders it (the AIGateway controller watches MCPServers).
	converged(t, c, gw)
	time.Sleep(2 * time.Second)
	must(t, c.Get(ctx, client.ObjectKeyFromObject(notes), notes))
	notes.Spec.Exclude = []v1alpha1.ToolPattern{"delete*"}
	must(t, c.Update(ctx, notes))
	poll.Until(t, converge, func() error {
		ms, err := gatewayMCP(ctx, c, ns)
		if err != nil {
			return err
		}
		if len(ms) != 1 || strings.Join(toolNames(ms[0]), ",") != "createNote,getNote,get_health,listNotes" {
			return fmt.Errorf("after exclude: %+v", ms)
		}
		return mcpCondition(ctx, c, notes, v1alpha1.ConditionReady, metav1.ConditionTrue, "Ready", "serves 4 tools")
	})
	// A label change (no new generation) takes it off the gateway.
	must(t, c.Get(ctx, client.ObjectKeyFromObject(notes), notes))
	notes.Labels = map[string]string{"tools": "private"}
	must(t, c.Update(ctx, notes))
	poll.Until(t, converge, func() error {
		ms, err := gatewayMCP(ctx, c, ns)
		if err != nil {
			return err
		}
		if len(ms) != 0 {
			return fmt.Errorf("after the label change the gateway still serves %d MCP servers", len(ms))
		}
		return nil
	})
}

// table lists the namespace's MCPServers as kubectl get does (the API
// server's Table with the CRD's printer columns): column names, and each
// row's cells by name.
func table(t *testing.T, ns string) ([]string, map[string][]any) {
	t.Helper()
	hc, err := rest.HTTPClientFor(shared.Config)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimRight(shared.Config.Host, "/")+"/apis/ai.tollgate.dev/v1alpha1/namespaces/"+ns+"/mcpservers", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("table: %v %d %s", err, resp.StatusCode, body)
	}
	var tb metav1.Table
	if err := json.Unmarshal(body, &tb); err != nil {
		t.Fatalf("table: %v", err)
	}
	var cols []string
	for _, d := range tb.ColumnDefinitions {
		cols = append(cols, d.Name)
	}
	rows := map[string][]any{}
	for _, r := range tb.Rows {
		if len(r.Cells) > 0 {
			rows[fmt.Sprint(r.Cells[0])] = r.Cells
		}
	}
	return cols, rows
}
