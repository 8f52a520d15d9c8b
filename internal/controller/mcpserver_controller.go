package controller

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/conditions"
	"github.com/tollgate-dev/tollgate/internal/mcptools"
	"github.com/tollgate-dev/tollgate/internal/netguard"
)

// +kubebuilder:rbac:groups=ai.tollgate.dev,resources=mcpservers,verbs=get;list;watch
// +kubebuilder:rbac:groups=ai.tollgate.dev,resources=mcpservers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get

// MCPServerReconciler reports whether an MCPServer's document parses
// (with the error's line and column when not), whether its Secret and
// ConfigMap exist, and how many tools it serves.
type MCPServerReconciler struct {
	base
}

// mcpDocRefresh is how often a fetched document is fetched again.
const mcpDocRefresh = 10 * time.Minute

func (r *MCPServerReconciler) setup(mgr ctrl.Manager, secretMeta *secretMetaCache) error {
	err := ctrl.NewControllerManagedBy(mgr).
		Named("mcpserver").
		For(&v1alpha1.MCPServer{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// The Secrets they read, by name: one created after its MCPServer
		// turns ResolvedRefs True.
		WatchesRawSource(secretMeta.source(func(ctx context.Context, ns, name string) []reconcile.Request {
			return indexed(ctx, r.client, &v1alpha1.MCPServerList{}, ns, indexSecretRefs, name)
		})).
		Complete(r)
	if err != nil {
		return fmt.Errorf("setting up the MCPServer controller: %w", err)
	}
	return nil
}

// Reconcile: get → read its Secret, ConfigMap or URL → compile it alone → status.
func (r *MCPServerReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ms := &v1alpha1.MCPServer{}
	if ok, err := r.live(ctx, req.NamespacedName, ms); !ok {
		return ctrl.Result{}, err
	}
	before := ms.DeepCopy()
	in, fetchErr, err := mcpInputs(ctx, r.api, ms.Namespace, []v1alpha1.MCPServer{*ms})
	if err != nil {
		return ctrl.Result{}, err
	}
	m, problems, ok := compile.CompileMCPServer(r.alone(in, ms.Namespace), ms)
	tools := 0
	if ok && m.OpenAPI != nil {
		tools = len(m.OpenAPI.Tools)
	}
	st := &ms.Status
	st.ObservedGeneration = ms.Generation
	st.Tools = int32(tools)
	accepted := fromProblems(problems, v1alpha1.ConditionAccepted, v1alpha1.ReasonAccepted, "The MCPServer is valid.")
	refs := fromProblems(problems, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonResolvedRefs, "The MCPServer's references resolved.")
	if fetchErr != nil {
		refs = conditions.False(v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonDocumentUnavailable,
			fmt.Sprintf("Fetching the OpenAPI document failed: %v. It is retried shortly.", fetchErr))
	}
	msg := fmt.Sprintf("The MCPServer serves %d tools.", tools)
	if ms.Spec.Remote != nil {
		msg = "The remote MCP server is proxied; gateways list its tools at call time."
	}
	ready := readyFrom(msg, accepted, refs)
	for _, c := range []conditions.Condition{accepted, refs, ready} {
		conditions.Set(&st.Conditions, ms.Generation, c, r.now())
	}
	res := ctrl.Result{}
	if compile.MCPDocumentURL(ms) != "" {
		res.RequeueAfter = mcpDocRefresh
		if fetchErr != nil {
			res.RequeueAfter = time.Minute
		}
	}
	return res, r.writeStatus(ctx, before, ms, before.Status, ms.Status, before.Status.Conditions, ms.Status.Conditions)
}

// mcpServerSecrets are the Secrets an MCPServer reads.
func mcpServerSecrets(ms *v1alpha1.MCPServer) []string {
	var out []string
	if o := ms.Spec.OpenAPI; o != nil && o.Credentials != nil {
		out = append(out, string(o.Credentials.SecretRef.Name))
	}
	if r := ms.Spec.Remote; r != nil && r.HeadersSecretRef != nil {
		out = append(out, string(r.HeadersSecretRef.Name))
	}
	return out
}

// mcpInputs reads what the MCPServers refer to: their Secrets and
// ConfigMaps (uncached), and the documents at their URLs, fetched through
// the SSRF guard. fetchErr is the first failed fetch (the server is then
// reported by compile as DocumentUnavailable).
func mcpInputs(ctx context.Context, api client.Reader, ns string, servers []v1alpha1.MCPServer) (compile.Input, error, error) {
	in := compile.Input{MCPServers: servers, Secrets: map[string]*corev1.Secret{},
		ConfigMaps: map[string]*corev1.ConfigMap{}, Documents: map[string][]byte{}}
	var secrets []string
	var fetchErr error
	for i := range servers {
		s := servers[i].Spec
		secrets = append(secrets, mcpServerSecrets(&servers[i])...)
		if o := s.OpenAPI; o != nil {
			if ref := o.Document.ConfigMapRef; ref != nil && in.ConfigMaps[string(ref.Name)] == nil {
				var cm corev1.ConfigMap
				switch err := api.Get(ctx, client.ObjectKey{Namespace: ns, Name: string(ref.Name)}, &cm); {
				case err == nil:
					in.ConfigMaps[cm.Name] = &cm
				case !apierrors.IsNotFound(err):
					return in, nil, fmt.Errorf("reading ConfigMap %s/%s: %w", ns, ref.Name, err)
				}
			}
			if u := compile.MCPDocumentURL(&servers[i]); u != "" {
				b, err := fetchDocument(ctx, u, s.AllowPrivateNetwork)
				if err != nil {
					if fetchErr == nil {
						fetchErr = err
					}
					continue
				}
				in.Documents[servers[i].Name] = b
			}
		}
	}
	if err := readSecrets(ctx, api, ns, secrets, in.Secrets); err != nil {
		return in, nil, err
	}
	return in, fetchErr, nil
}

// fetchDocument GETs an OpenAPI document through the SSRF guard, with no
// redirects and a size cap.
func fetchDocument(ctx context.Context, u string, allowPrivate bool) ([]byte, error) {
	c := netguard.Client(allowPrivate, 15*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/yaml, text/yaml, */*")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, mcptools.MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u, err)
	}
	if len(b) > mcptools.MaxDocumentBytes {
		return nil, fmt.Errorf("the document at %s is larger than %d bytes", u, mcptools.MaxDocumentBytes)
	}
	return b, nil
}
