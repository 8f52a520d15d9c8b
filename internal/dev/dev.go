// Package dev runs `tollgate dev`, the quickstart behind `make run`: a local
// control plane (the same kube-apiserver and etcd the tests use), the
// operator, the samples applied with kubectl, and — since there is no
// kubelet to run pods — the gateway the operator configured, as a local
// process reading its config Secret. It prints what to curl and stops
// cleanly on Ctrl-C.
package dev

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/operator"
	"github.com/tollgate-dev/tollgate/internal/proxy"
)

// Options are the quickstart's settings (flags of `tollgate dev`).
type Options struct {
	Assets        string
	CRDs          string
	Samples       string
	State         string
	Namespace     string
	Gateway       string
	Consumer      string
	Listen        string
	MetricsListen string
	// Ready, when set, is called once the gateway serves, with what the
	// banner prints; tests use it instead of parsing output.
	Ready func(Info)
}

// Info is what a user needs to call the local gateway.
type Info struct {
	URL        string
	Key        string
	Kubeconfig string
	Kubectl    string
}

// Main parses flags and runs the quickstart until ctx ends.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{}
	fs.StringVar(&o.Assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "folder with kube-apiserver, etcd and kubectl (make run builds them into bin/k8s/)")
	fs.StringVar(&o.CRDs, "crds", "config/crd/bases", "folder of Tollgate's CRDs")
	fs.StringVar(&o.Samples, "samples", "config/samples", "kustomize folder applied with kubectl apply -k")
	fs.StringVar(&o.State, "state", "bin/dev", "folder for the kubeconfig and logs")
	fs.StringVar(&o.Namespace, "namespace", "default", "namespace of the samples")
	fs.StringVar(&o.Gateway, "gateway", "main", "AIGateway whose gateway is served locally")
	fs.StringVar(&o.Consumer, "consumer", "demo", "Consumer whose generated key is printed")
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "address of the local gateway")
	fs.StringVar(&o.MetricsListen, "metrics-listen", "127.0.0.1:9090", "address of the gateway's metrics and health")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Assets == "" {
		return errors.New("dev: --assets (or $KUBEBUILDER_ASSETS) must name the control-plane binaries; run `make run`, which builds them")
	}
	return Run(ctx, o, stdout)
}

// Run starts everything, prints the banner and blocks until ctx ends.
func Run(ctx context.Context, o Options, stdout io.Writer) error {
	if err := os.MkdirAll(o.State, 0o755); err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	// Fail before starting anything when another gateway (an earlier
	// make run, say) holds the ports: the readiness check below would
	// otherwise be answered by that one.
	for _, addr := range []string{o.Listen, o.MetricsListen} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("dev: %s is in use (another make run?); stop it or pass --listen/--metrics-listen: %w", addr, err)
		}
		l.Close()
	}
	if note := realClusterNote(); note != "" {
		fmt.Fprintln(stdout, note)
	}
	opLog, err := os.Create(filepath.Join(o.State, "operator.log"))
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	defer opLog.Close()
	pxLog, err := os.Create(filepath.Join(o.State, "gateway.log"))
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	defer pxLog.Close()
	ctrl.SetLogger(zap.New(zap.WriteTo(opLog)))

	step(stdout, "starting a local control plane (kube-apiserver + etcd)")
	env := &envtest.Environment{
		BinaryAssetsDirectory: o.Assets,
		CRDDirectoryPaths:     []string{o.CRDs},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("dev: starting the control plane: %w", err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(stdout, "dev: stopping the control plane:", err)
		}
	}()
	kubeconfig, err := writeKubeconfig(env, o.State)
	if err != nil {
		return err
	}
	kubectl := filepath.Join(o.Assets, "kubectl")

	step(stdout, "starting the operator")
	// No kubelet runs the gateway's pods, so no EndpointSlice names them:
	// the operator reads usage from the gateway this command runs.
	usageAt := func(gw *v1alpha1.AIGateway) []string {
		if gw.Namespace == o.Namespace && gw.Name == o.Gateway {
			return []string{o.MetricsListen}
		}
		return nil
	}
	mgr, err := operator.NewManager(cfg, operator.Options{Image: "tollgate:dev", MetricsAddress: "0", ProbeAddress: "0", UsageEndpoints: usageAt})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	mgrErr := make(chan error, 1)
	go func() { mgrErr <- mgr.Start(ctx) }()

	step(stdout, "applying "+o.Samples+" with kubectl apply --server-side -k")
	apply := exec.CommandContext(ctx, kubectl, "apply", "--server-side", "-k", o.Samples, "-n", o.Namespace)
	apply.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	if out, err := apply.CombinedOutput(); err != nil {
		return fmt.Errorf("dev: kubectl apply: %w\n%s", err, out)
	} else {
		fmt.Fprint(stdout, indent(string(out)))
	}

	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	step(stdout, "waiting for the operator to compile gateway "+o.Gateway+" and generate consumer "+o.Consumer+"'s key")
	if _, err := waitSecret(ctx, c, o.Namespace, o.Gateway+"-config", config.SecretKey, mgrErr); err != nil {
		return err
	}
	key, err := waitSecret(ctx, c, o.Namespace, o.Consumer+"-key", compile.KeyAPIKey, mgrErr)
	if err != nil {
		return err
	}

	step(stdout, "starting the gateway on "+o.Listen+" from Secret "+o.Namespace+"/"+o.Gateway+"-config")
	pxErr := make(chan error, 1)
	go func() {
		pxErr <- proxy.Main(ctx, []string{
			"--config-secret", o.Namespace + "/" + o.Gateway + "-config",
			"--kubeconfig", kubeconfig,
			"--listen", o.Listen, "--metrics-listen", o.MetricsListen,
		}, io.Discard, pxLog)
	}()
	if err := waitReady(ctx, "http://"+o.MetricsListen+"/readyz", pxErr); err != nil {
		return err
	}

	info := Info{URL: "http://" + o.Listen + "/v1", Key: key, Kubeconfig: kubeconfig, Kubectl: kubectl}
	banner(stdout, o, info)
	if o.Ready != nil {
		o.Ready(info)
	}
	proxyDone := false
	select {
	case <-ctx.Done():
	case err = <-mgrErr:
		err = fmt.Errorf("dev: the operator stopped: %w", err)
	case err = <-pxErr:
		err = fmt.Errorf("dev: the gateway stopped: %w", err)
		proxyDone = true
	}
	fmt.Fprintln(stdout, "\nstopping: gateway, operator, control plane")
	cancel()
	if !proxyDone {
		<-pxErr // its error was reported by the goroutine that ran it
	}
	return err
}

func step(w io.Writer, s string) { fmt.Fprintf(w, "==> %s\n", s) }

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

// realClusterNote tells a user whose KUBECONFIG points at a cluster how to
// install there; the quickstart itself never touches that cluster.
func realClusterNote() string {
	kc := os.Getenv("KUBECONFIG")
	if kc == "" {
		if home, err := os.UserHomeDir(); err == nil {
			if _, err := os.Stat(filepath.Join(home, ".kube", "config")); err == nil {
				kc = filepath.Join(home, ".kube", "config")
			}
		}
	}
	if kc == "" {
		return ""
	}
	return "note: a kubeconfig is set (" + kc + "). This quickstart runs its own local control plane and leaves that cluster alone.\n" +
		"      To install Tollgate there instead: kubectl apply -k config/default, then kubectl apply -k config/samples (docs/install.md)."
}

func writeKubeconfig(env *envtest.Environment, dir string) (string, error) {
	u, err := env.AddUser(envtest.User{Name: "tollgate-dev", Groups: []string{"system:masters"}}, &rest.Config{})
	if err != nil {
		return "", fmt.Errorf("dev: creating a kubeconfig: %w", err)
	}
	kc, err := u.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("dev: creating a kubeconfig: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, "kubeconfig"))
	if err != nil {
		return "", fmt.Errorf("dev: %w", err)
	}
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		return "", fmt.Errorf("dev: writing kubeconfig: %w", err)
	}
	return path, nil
}

// waitSecret polls for a Secret key, for up to two minutes.
func waitSecret(ctx context.Context, c client.Client, ns, name, key string, stopped <-chan error) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		var s corev1.Secret
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &s); err == nil && len(s.Data[key]) > 0 {
			return string(s.Data[key]), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("dev: Secret %s/%s did not appear; see the operator log and `kubectl get tollgate -A`", ns, name)
		case err := <-stopped:
			return "", fmt.Errorf("dev: the operator stopped: %w", err)
		case <-t.C:
		}
	}
}

func waitReady(ctx context.Context, url string, stopped <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("dev: the gateway did not become ready; see its log")
		case err := <-stopped:
			return fmt.Errorf("dev: the gateway stopped: %w", err)
		case <-t.C:
		}
	}
}
