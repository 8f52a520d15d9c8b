// Command bundle writes Tollgate's OLM bundle (bundle/ and
// bundle.Dockerfile) from config/manifests, config/samples and the
// operator-sdk markers in api/v1alpha1. Run it from the repository root
// (hack/bundle.sh does); test/packaging fails when its output is stale.
package main

import "github.com/tollgate-dev/tollgate/hack/packaging"

func main() {
	packaging.Main("bundle", packaging.BundleDirs, func(root string) (map[string][]byte, error) {
		return packaging.Bundle(root, packaging.DefaultBundleOptions())
	})
}
