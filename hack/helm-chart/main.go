// Command helm-chart writes Tollgate's Helm chart (charts/tollgate) from the
// kustomize build of config/default, so the Helm and kustomize installs
// cannot drift. Run it from the repository root (hack/helm-chart.sh does);
// test/packaging and hack/verify-generated.sh fail when its output is stale.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tollgate-dev/tollgate/hack/packaging"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "helm-chart:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	files, err := packaging.Chart(root)
	if err != nil {
		return err
	}
	if err := packaging.WriteFiles(root, packaging.ChartDirs, files); err != nil {
		return err
	}
	fmt.Printf("helm-chart: wrote %d files into %s\n", len(files), packaging.ChartDir)
	return nil
}
