package packaging

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFiles replaces the directories dirs under root (their old contents
// are removed, so a dropped object leaves no file behind) and writes files,
// whose paths are relative to root.
func WriteFiles(root string, dirs []string, files map[string][]byte) error {
	for _, d := range dirs {
		if err := os.RemoveAll(filepath.Join(root, d)); err != nil {
			return fmt.Errorf("removing %s: %w", d, err)
		}
	}
	for _, name := range sortedKeys(files) {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// BundleDirs are the directories Bundle owns entirely.
var BundleDirs = []string{"bundle/manifests", "bundle/metadata"}

// Main is the body of a generator command (hack/bundle, hack/helm-chart):
// it reads -root (the repository root, "." by default), builds the files
// with build, replaces dirs with them and says how many it wrote. Errors
// exit 1, prefixed with name.
func Main(name string, dirs []string, build func(root string) (map[string][]byte, error)) {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	files, err := build(*root)
	if err == nil {
		err = WriteFiles(*root, dirs, files)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	fmt.Printf("%s: wrote %d files\n", name, len(files))
}
