package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// CRDSet is a group of CustomResourceDefinitions a test can install.
type CRDSet string

// CRD sets. Tollgate's own CRDs (config/crd/bases) are always installed;
// the third-party sets are optional per test, because the operator must be
// tested both with and without each of them.
const (
	// GatewayAPI is Gateway API's standard channel (Gateway, HTTPRoute, ...)
	// at the version in go.mod, from config/crd/standard.
	GatewayAPI CRDSet = "gateway-api"
	// CertManager is cert-manager's CRDs (Certificate, Issuer, ...) at the
	// version in go.mod, from deploy/crds.
	CertManager CRDSet = "cert-manager"
	// ServiceMonitor is prometheus-operator's ServiceMonitor CRD. The
	// monitoring API module in go.mod ships no YAML, so it is read from the
	// full prometheus-operator module at PrometheusOperatorVersion, which is
	// downloaded into the module cache but not added to go.mod.
	ServiceMonitor CRDSet = "servicemonitor"
)

// AllThirdParty is every optional CRD set.
var AllThirdParty = []CRDSet{GatewayAPI, CertManager, ServiceMonitor}

// PrometheusOperatorVersion is the prometheus-operator module the
// ServiceMonitor CRD is read from.
const PrometheusOperatorVersion = "v0.85.0"

var (
	crdMu    sync.Mutex
	crdPaths = map[CRDSet][]string{}
)

// CRDPaths returns the files or directories holding a CRD set, locating
// (and if needed downloading) its module once per process.
func CRDPaths(set CRDSet) ([]string, error) {
	crdMu.Lock()
	defer crdMu.Unlock()
	if p, ok := crdPaths[set]; ok {
		return p, nil
	}
	p, err := locate(set)
	if err != nil {
		return nil, fmt.Errorf("locating %s CRDs: %w", set, err)
	}
	for _, f := range p {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("locating %s CRDs: %w", set, err)
		}
	}
	crdPaths[set] = p
	return p, nil
}

func locate(set CRDSet) ([]string, error) {
	switch set {
	case GatewayAPI:
		dir, err := requiredModuleDir("sigs.k8s.io/gateway-api")
		if err != nil {
			return nil, err
		}
		// The directory also holds a ValidatingAdmissionPolicy; envtest
		// installs only the CustomResourceDefinitions it finds.
		return []string{filepath.Join(dir, "config", "crd", "standard")}, nil
	case CertManager:
		dir, err := requiredModuleDir("github.com/cert-manager/cert-manager")
		if err != nil {
			return nil, err
		}
		return []string{filepath.Join(dir, "deploy", "crds")}, nil
	case ServiceMonitor:
		dir, err := moduleDir("github.com/prometheus-operator/prometheus-operator", PrometheusOperatorVersion)
		if err != nil {
			return nil, err
		}
		return []string{filepath.Join(dir, "example", "prometheus-operator-crd", "monitoring.coreos.com_servicemonitors.yaml")}, nil
	default:
		return nil, fmt.Errorf("unknown CRD set %q", set)
	}
}

func requiredModuleDir(module string) (string, error) {
	v, err := requiredVersion(module)
	if err != nil {
		return "", err
	}
	return moduleDir(module, v)
}

// TollgateCRDPath is the directory of Tollgate's own generated CRDs.
func TollgateCRDPath() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "config", "crd", "bases"), nil
}
