package testenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ErrNoAssets reports that the control plane binaries (kube-apiserver, etcd,
// kubectl) are not available and could not be built. Tests skip on it unless
// TOLLGATE_REQUIRE_ENVTEST is set.
var ErrNoAssets = errors.New("control plane binaries are not available")

// modulePath is this repository's Go module, used to find its root.
const modulePath = "github.com/tollgate-dev/tollgate"

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// RepoRoot returns the repository's root directory: the nearest parent of
// the working directory (a test's package directory) whose go.mod declares
// this module.
func RepoRoot() (string, error) {
	rootOnce.Do(func() { rootDir, rootErr = findRoot() })
	return rootDir, rootErr
}

func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding repository root: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(data), []byte("module "+modulePath)) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("finding repository root: no go.mod for %s above the working directory", modulePath)
		}
		dir = parent
	}
}

var (
	assetsOnce sync.Once
	assetsDir  string
	assetsErr  error
)

// AssetsDir returns the directory holding kube-apiserver, etcd and kubectl:
// $KUBEBUILDER_ASSETS when set, else what hack/build-k8s.sh prints (it
// builds the binaries from the Go module proxy the first time, which takes
// minutes, and returns at once afterwards; concurrent callers wait on its
// lock). The error wraps ErrNoAssets when the binaries cannot be had.
func AssetsDir() (string, error) {
	assetsOnce.Do(func() { assetsDir, assetsErr = findAssets() })
	return assetsDir, assetsErr
}

func findAssets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		if err := checkAssets(dir); err != nil {
			// An explicit setting that is wrong is a mistake to fix, not a
			// reason to skip.
			return "", fmt.Errorf("KUBEBUILDER_ASSETS=%s: %w", dir, err)
		}
		return dir, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("bash", filepath.Join(root, "hack", "build-k8s.sh"))
	cmd.Dir = root
	cmd.Stderr = os.Stderr // progress of a first, slow build
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: hack/build-k8s.sh failed: %w", ErrNoAssets, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	if err := checkAssets(dir); err != nil {
		return "", fmt.Errorf("%w: hack/build-k8s.sh printed %q: %w", ErrNoAssets, dir, err)
	}
	return dir, nil
}

func checkAssets(dir string) error {
	for _, name := range []string{"kube-apiserver", "etcd", "kubectl"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("missing %s: %w", name, err)
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not an executable file", name)
		}
	}
	return nil
}

// moduleDir returns the module cache directory of module at version,
// downloading it from the module proxy when it is not cached. It runs in a
// temporary directory so it never edits this repository's go.mod or go.sum.
func moduleDir(module, version string) (string, error) {
	tmp, err := os.MkdirTemp("", "tollgate-testenv-mod-")
	if err != nil {
		return "", fmt.Errorf("locating module %s: %w", module, err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s", module, version, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: decoding output: %w", module, version, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	return info.Dir, nil
}

// requiredVersion returns the version of module in this repository's build
// list (go.mod).
func requiredVersion(module string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", module)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w: %s", module, err, bytes.TrimSpace(stderr.Bytes()))
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		return "", fmt.Errorf("go list -m %s: module is not in go.mod", module)
	}
	return v, nil
}
