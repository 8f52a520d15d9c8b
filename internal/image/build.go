package image

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The local image names the cluster tests and `make image` use; pods run
// them with imagePullPolicy IfNotPresent, so no registry is asked.
const (
	TollgateRef = "tollgate.local/tollgate:dev"
	PauseRef    = "tollgate.local/pause:dev"
)

// Archives are the image archives BuildLocal writes.
type Archives struct {
	Tollgate, Pause string
}

// Dir is where BuildLocal writes the archives of the tree at root:
// bin/image/ (`make image`, the cluster tests and `make run CLUSTER=1`).
func Dir(root string) string { return filepath.Join(root, "bin", "image") }

// BuildLocal compiles the tollgate binary from the tree at root exactly as
// the Dockerfile does (static, -trimpath, -s -w) and the pause program, and
// writes both images as OCI archives into Dir(root).
func BuildLocal(ctx context.Context, root string) (Archives, error) {
	out := Dir(root)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return Archives{}, fmt.Errorf("image: %w", err)
	}
	a := Archives{Tollgate: filepath.Join(out, "tollgate.tar"), Pause: filepath.Join(out, "pause.tar")}
	files, err := Distroless("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		return Archives{}, err
	}
	for _, img := range []struct {
		pkg, bin, ref, archive string
		files                  []File
		user                   string
	}{
		{"./cmd/tollgate", "tollgate", TollgateRef, a.Tollgate, files, NonRoot},
		{"./internal/image/pause", "pause", PauseRef, a.Pause, nil, "65535:65535"},
	} {
		binPath := filepath.Join(out, img.bin)
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", binPath, img.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if b, err := cmd.CombinedOutput(); err != nil {
			return Archives{}, fmt.Errorf("image: go build %s: %w\n%s", img.pkg, err, b)
		}
		bin, err := os.ReadFile(binPath)
		if err != nil {
			return Archives{}, fmt.Errorf("image: %w", err)
		}
		spec := Spec{
			Files:      append(append([]File(nil), img.files...), File{Path: "/" + img.bin, Mode: 0o755, Data: bin}),
			Entrypoint: []string{"/" + img.bin},
			User:       img.user,
			Env:        DistrolessEnv,
		}
		built, err := Build(spec)
		if err != nil {
			return Archives{}, err
		}
		if _, err := WriteArchive(img.archive, img.ref, built); err != nil {
			return Archives{}, err
		}
	}
	return a, nil
}
