// Command argocd-cm writes Tollgate's Argo CD health checks:
// argocd/<group>/<Kind>/health.lua from that directory's head.lua and the
// shared argocd/health.lua.tmpl (Argo CD needs each script standalone),
// then argocd/argocd-cm.yaml, the argocd-cm snippet that ships them.
// test/packaging fails when either is stale.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tollgate-dev/tollgate/hack/packaging"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "argocd-cm:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	scripts, err := packaging.HealthScripts(root)
	if err != nil {
		return err
	}
	if err := packaging.WriteFiles(root, nil, scripts); err != nil {
		return err
	}
	checks, err := packaging.HealthChecks(root)
	if err != nil {
		return err
	}
	b, err := packaging.ArgoCDSnippet(checks)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, packaging.ArgoCDConfigMap), b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", packaging.ArgoCDConfigMap, err)
	}
	fmt.Printf("argocd-cm: wrote %d health.lua and %s with %d health checks\n", len(scripts), packaging.ArgoCDConfigMap, len(checks))
	return nil
}
