package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/cluster"
	"github.com/tollgate-dev/tollgate/internal/dev/tryit"
	"github.com/tollgate-dev/tollgate/internal/image"
)

// listen is where make run CLUSTER=1 puts the gateway, as make run does.
const listen = "127.0.0.1:8080"

// quickstart is make run CLUSTER=1: the real cluster, the operator
// installed with kustomize, the samples, gateway pods; the gateway Service
// forwarded to 127.0.0.1:8080 until Ctrl-C, then everything is removed.
func quickstart(ctx context.Context, root string, o cluster.Options) (err error) {
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("%s is in use (another make run?): %w", listen, err)
	}
	defer l.Close()
	c, err := upWithImages(ctx, root, o)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("\nstopping: removing the cluster")
		err = errors.Join(err, c.Down())
	}()
	if err := installSamples(ctx, c, root); err != nil {
		fmt.Print(c.Diagnose(ctx))
		return err
	}
	enc, err := c.KubectlRun(ctx, "get", "secret", "demo-key", "-o", "jsonpath={.data.apiKey}")
	if err != nil {
		return err
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return fmt.Errorf("decoding demo-key: %w", err)
	}
	svc, err := c.KubectlRun(ctx, "get", "aigateway/main", "-o", "jsonpath={.status.url}")
	if err != nil {
		return err
	}
	kubectl := fmt.Sprintf("nsenter --net=%s %s --kubeconfig %s", c.Netns(), filepath.Join(o.K8sBin, "kubectl"), c.Kubeconfig())
	url := "http://" + listen + "/v1"
	fmt.Printf(`
Tollgate is running in a one-node cluster (gateway pods, Ready=True).

  Gateway (OpenAI-compatible):  %[1]s   (forwarded to Service %[2]s)
  Consumer "demo" key:           %[3]s

%[6]s
  %[4]s get tollgate,pods -n default

Component logs: %[5]s. Ctrl-C stops and removes everything.
`, url, svc, key, kubectl, filepath.Join(c.Dir(), "logs"), tryit.Curl(url, string(key)))
	return c.Forward(ctx, l, strings.TrimPrefix(svc, "http://"))
}

// installSamples installs the operator and the samples and waits for the
// gateway pods and aigateway/main Ready.
func installSamples(ctx context.Context, c *cluster.Cluster, root string) error {
	fmt.Println("==> installing the operator (kubectl apply --server-side -k config/default, image " + image.TollgateRef + ")")
	if err := c.InstallKustomize(ctx, root, image.TollgateRef); err != nil {
		return err
	}
	fmt.Println("==> applying config/samples")
	if _, err := c.KubectlRun(ctx, "apply", "--server-side", "-k", filepath.Join(root, "config", "samples"), "-n", "default"); err != nil {
		return err
	}
	fmt.Println("==> waiting for the gateway pods and aigateway/main Ready")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if _, err := c.KubectlRun(ctx, "get", "deployment/main"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("the operator created no Deployment main; see kubectl logs -n tollgate-system deploy/tollgate-operator")
		}
		time.Sleep(time.Second)
	}
	if _, err := c.KubectlRun(ctx, "rollout", "status", "deployment/main", "--timeout=3m"); err != nil {
		return err
	}
	if _, err := c.KubectlRun(ctx, "wait", "--for=condition=Ready", "aigateway/main", "--timeout=2m"); err != nil {
		return err
	}
	return nil
}
