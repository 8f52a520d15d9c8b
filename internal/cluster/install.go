package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// OperatorNamespace is where config/default installs the operator.
const OperatorNamespace = "tollgate-system"

// KubectlRun runs kubectl inside the namespace and returns stdout, with
// stderr in the error.
func (c *Cluster) KubectlRun(ctx context.Context, args ...string) (string, error) {
	cmd := c.Kubectl(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// InstallKustomize installs root/config/default as a user pins a release:
// an overlay whose images: entry names the local image ref, applied with
// kubectl apply --server-side -k, then waits for the operator rollout.
func (c *Cluster) InstallKustomize(ctx context.Context, root, ref string) error {
	dir := filepath.Join(c.dir, "overlay")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	base, err := filepath.Rel(dir, filepath.Join(root, "config", "default"))
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	name, tag, _ := strings.Cut(ref, ":")
	overlay := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- %s\nimages:\n- name: ghcr.io/tollgate-dev/tollgate\n  newName: %s\n  newTag: %s\n", base, name, tag)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(overlay), 0o644); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if _, err := c.KubectlRun(ctx, "apply", "--server-side", "-k", dir); err != nil {
		return err
	}
	_, err = c.KubectlRun(ctx, "-n", OperatorNamespace, "rollout", "status", "deployment/tollgate-operator", "--timeout=3m")
	return err
}

// Forward accepts connections on l (on the host) and copies each to addr
// dialled inside the namespace (a Service name or ClusterIP), until ctx
// ends: how `make run CLUSTER=1` puts a gateway Service on 127.0.0.1.
func (c *Cluster) Forward(ctx context.Context, l net.Listener, addr string) error {
	go func() { <-ctx.Done(); l.Close() }()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("cluster: forward: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			up, err := c.Dial(ctx, "tcp", addr)
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(up, conn); done <- struct{}{} }()
			go func() { _, _ = io.Copy(conn, up); done <- struct{}{} }()
			select {
			case <-done:
			case <-ctx.Done():
			}
		}()
	}
}
