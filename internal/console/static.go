package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// dist is the built page (hack/console.sh builds web/ into it). It is
// checked in, so building the gateway needs no Node.
//
//go:embed dist
var dist embed.FS

// contentTypes is fixed here rather than read from the system's MIME
// tables, so every machine serves the same types.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".json":  "application/json",
	".txt":   "text/plain; charset=utf-8",
	".woff2": "font/woff2",
}

// staticFile is one embedded file with its validators.
type staticFile struct {
	body        []byte
	contentType string
	etag        string
	immutable   bool
}

type staticFiles struct {
	files map[string]*staticFile
}

// loadStatic reads every file of fsys into memory (the page is small).
// Files under assets/ have content hashes in their names and are cached
// for a year; the rest (index.html) are revalidated on every load.
func loadStatic(fsys fs.FS) (*staticFiles, error) {
	s := &staticFiles{files: map[string]*staticFile{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(b)
		s.files[p] = &staticFile{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
			immutable: strings.HasPrefix(p, "assets/")}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: loading the page: %w", err)
	}
	if s.files["index.html"] == nil {
		return nil, fmt.Errorf("console: the page has no index.html (run hack/console.sh)")
	}
	return s, nil
}

// mustStatic loads the embedded page. The files are part of the binary, so
// a failure is a build defect, not an input error.
func mustStatic() *staticFiles {
	sub, err := fs.Sub(dist, "dist")
	if err == nil {
		var s *staticFiles
		if s, err = loadStatic(sub); err == nil {
			return s
		}
	}
	panic(err)
}

func (s *staticFiles) serve(w http.ResponseWriter, r *http.Request, name string) {
	if name == "" {
		name = "index.html"
	}
	f, ok := s.files[name]
	if !ok || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	if f.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}
