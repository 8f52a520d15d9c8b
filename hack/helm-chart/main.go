// Command helm-chart writes Tollgate's Helm chart (charts/tollgate) from the
// kustomize build of config/default, so the Helm and kustomize installs
// cannot drift. Run it from the repository root (hack/helm-chart.sh does);
// test/packaging and hack/verify-generated.sh fail when its output is stale.
package main

import "github.com/tollgate-dev/tollgate/hack/packaging"

func main() { packaging.Main("helm-chart", packaging.ChartDirs, packaging.Chart) }
