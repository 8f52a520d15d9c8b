// Command argocd-cm writes argocd/argocd-cm.yaml, the argocd-cm snippet
// that ships Tollgate's Argo CD health checks, from
// argocd/<group>/<Kind>/health.lua. test/packaging fails when it is stale.
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
	fmt.Printf("argocd-cm: wrote %s with %d health checks\n", packaging.ArgoCDConfigMap, len(checks))
	return nil
}
