// Command bundle writes Tollgate's OLM bundle (bundle/ and
// bundle.Dockerfile) from config/manifests, config/samples and the
// operator-sdk markers in api/v1alpha1. Run it from the repository root
// (hack/bundle.sh does); test/packaging fails when its output is stale.
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
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	files, err := packaging.Bundle(root, packaging.DefaultBundleOptions())
	if err != nil {
		return err
	}
	if err := packaging.WriteFiles(root, packaging.BundleDirs, files); err != nil {
		return err
	}
	fmt.Printf("bundle: wrote %d files\n", len(files))
	return nil
}
