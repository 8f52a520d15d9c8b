package image

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestArchive writes an image and reads it back the way an importer does:
// the index names it, the config carries the entrypoint, user and
// environment, and the one layer holds the files with their modes.
func TestArchive(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := Distroless(ca)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, File{Path: "/tollgate", Mode: 0o755, Data: []byte("binary")})
	img, err := Build(Spec{Files: files, Entrypoint: []string{"/tollgate"}, User: NonRoot, Env: DistrolessEnv})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "img.tar")
	digest, err := WriteArchive(archive, TollgateRef, img)
	if err != nil {
		t.Fatal(err)
	}

	// Unpack the archive into a layout folder and read it with the library.
	out := filepath.Join(dir, "layout")
	untar(t, archive, out)
	idx, err := layout.ImageIndexFromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != digest {
		t.Fatalf("index %+v, want one manifest %s", m.Manifests, digest)
	}
	if got := m.Manifests[0].Annotations["io.containerd.image.name"]; got != TollgateRef {
		t.Errorf("io.containerd.image.name = %q, want %q", got, TollgateRef)
	}
	if p := m.Manifests[0].Platform; p == nil || p.OS != "linux" {
		t.Errorf("platform %+v, want linux", p)
	}
	back, err := idx.Image(digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/tollgate" {
		t.Errorf("user %q entrypoint %q, want 65532:65532 [/tollgate] (the Dockerfile's)", cf.Config.User, cf.Config.Entrypoint)
	}
	if b, _ := json.Marshal(cf.Config.Env); string(b) != `["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]` {
		t.Errorf("env %s", b)
	}
	layers, err := back.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v; want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	modes := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name] = h.Mode
	}
	for name, mode := range map[string]int64{"tollgate": 0o755, "tmp/": 0o1777, "etc/ssl/certs/ca-certificates.crt": 0o644, "etc/passwd": 0o644} {
		if got, ok := modes[name]; !ok || got != mode {
			t.Errorf("%s: mode %o (present %v), want %o", name, got, ok, mode)
		}
	}
}

func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
