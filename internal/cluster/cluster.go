// Package cluster brings up and tears down a real one-node Kubernetes
// cluster on this machine, for test/cluster and `make run CLUSTER=1`: etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
// kube-proxy and CoreDNS (built from the Go module proxy by hack/build-k8s.sh
// and hack/build-node.sh), with Debian's containerd, runc and CNI plugins
// (hack/install-node.sh).
//
// Everything runs inside a network namespace the package owns: the node IP
// sits on its loopback, pods on bridge cni0, nothing has a route out. The
// calling process stays on the host and reaches the cluster through Dial.
// Every component's PID is recorded under the state folder, so Down cleans
// up (processes TERM then KILL, containers through the cluster's cgroup,
// mounts, the namespace) even after a run that crashed; Up starts with it.
package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tollgate-dev/tollgate/internal/image"
)

// PauseImage is the sandbox image, built by BuildPauseImage and imported
// before the kubelet starts (there is no registry to pull from).
const PauseImage = image.PauseRef

// Options locate the binaries and the state folder.
type Options struct {
	// Dir holds the cluster's state: PKI, kubeconfigs, logs, PIDs, etcd
	// and containerd data (bin/cluster under make).
	Dir string
	// K8sBin holds kube-apiserver, etcd and kubectl (hack/build-k8s.sh);
	// NodeBin the node binaries and coredns (hack/build-node.sh).
	K8sBin, NodeBin string
	// Log receives one line per step; nil discards.
	Log io.Writer
}

// LayoutOptions are make's layout under root: the control plane in
// $KUBEBUILDER_ASSETS (or bin/k8s/<version>), the node binaries in
// $TOLLGATE_NODE_BIN (or bin/node/<version>), state in bin/cluster.
func LayoutOptions(root string) Options {
	o := Options{
		Dir:     filepath.Join(root, "bin", "cluster"),
		K8sBin:  os.Getenv("KUBEBUILDER_ASSETS"),
		NodeBin: os.Getenv("TOLLGATE_NODE_BIN"),
	}
	if o.K8sBin == "" {
		o.K8sBin = filepath.Join(root, "bin", "k8s", K8sVersion)
	}
	if o.NodeBin == "" {
		o.NodeBin = filepath.Join(root, "bin", "node", K8sVersion)
	}
	return o
}

// K8sVersion is the Kubernetes release hack/build-k8s.sh and
// hack/build-node.sh build by default.
const K8sVersion = "1.37.2"

// Cluster is a running (or stopped) one-node cluster.
type Cluster struct {
	dir, k8sBin, nodeBin string
	netns, cgroupRoot    string
	path                 string
	log                  io.Writer
	order                int
	procs                []pidRecord
}

// New names the cluster after its state folder (so two checkouts can each
// run one) without starting anything.
func New(o Options) (*Cluster, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	sum := sha256.Sum256([]byte(dir))
	name := "tollgate-" + hex.EncodeToString(sum[:4])
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	return &Cluster{
		dir: dir, k8sBin: o.K8sBin, nodeBin: o.NodeBin,
		netns: name, cgroupRoot: "/" + name, log: log,
		path: o.NodeBin + ":" + o.K8sBin + ":/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin",
	}, nil
}

// Dir is the state folder; logs are in Dir/logs.
func (c *Cluster) Dir() string { return c.dir }

// Netns is the path of the cluster's network namespace (nsenter --net=).
func (c *Cluster) Netns() string { return netnsPath(c.netns) }

// Kubeconfig is the cluster-admin kubeconfig (reachable from inside the
// namespace: use Kubectl, or RESTConfig from the host).
func (c *Cluster) Kubeconfig() string { return filepath.Join(c.dir, "kubeconfig", "admin") }

// ContainerdSocket is the address of the cluster's containerd.
func (c *Cluster) ContainerdSocket() string { return filepath.Join(c.dir, "run", "containerd.sock") }

// RESTConfig is a cluster-admin client configuration that dials through
// the namespace, for client-go in the calling process.
func (c *Cluster) RESTConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	cfg.Dial = c.Dial
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}

// Kubectl returns kubectl with the admin kubeconfig, run inside the
// namespace.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + c.Netns(), "--", filepath.Join(c.k8sBin, "kubectl"), "--kubeconfig", c.Kubeconfig()}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+c.path)
	return cmd
}

// Up cleans up whatever an earlier run left, then starts the cluster and
// waits for the node to be Ready and the default ServiceAccount to exist.
// pause is the sandbox image archive (BuildPauseImage). On failure
// everything started is stopped again and the error carries the failing
// component's log tail; logs stay in Dir/logs.
func Up(ctx context.Context, o Options, pause string) (*Cluster, error) {
	c, err := New(o)
	if err != nil {
		return nil, err
	}
	if err := c.Down(); err != nil {
		return nil, err
	}
	if err := c.up(ctx, pause); err != nil {
		if derr := c.Down(); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, err
	}
	return c, nil
}

func (c *Cluster) step(format string, a ...any) {
	fmt.Fprintf(c.log, "cluster: "+format+"\n", a...)
}

func (c *Cluster) up(ctx context.Context, pause string) error {
	if err := c.preflight(); err != nil {
		return err
	}
	for _, d := range []string{"pki", "kubeconfig", "logs", "pids", "etcd", "containerd", "kubelet", "run", "cni/net.d", "cni/ipam"} {
		if err := os.MkdirAll(filepath.Join(c.dir, d), 0o755); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
	}
	c.step("network namespace %s (node %s, pods %s, services %s)", c.netns, NodeIP, PodCIDR, ServiceCIDR)
	if err := c.setupNetns(ctx); err != nil {
		return err
	}
	if err := c.setupCgroups(); err != nil {
		return err
	}
	if err := c.writeConfig(); err != nil {
		return err
	}
	pki := filepath.Join(c.dir, "pki")
	kc := func(n string) string { return filepath.Join(c.dir, "kubeconfig", n) }

	c.step("etcd, kube-apiserver")
	if err := c.start("etcd", filepath.Join(c.k8sBin, "etcd"), flags(
		"data-dir", filepath.Join(c.dir, "etcd"),
		"listen-client-urls", "http://127.0.0.1:2379", "advertise-client-urls", "http://127.0.0.1:2379",
		"listen-peer-urls", "http://127.0.0.1:2380", "initial-advertise-peer-urls", "http://127.0.0.1:2380",
		"initial-cluster", "default=http://127.0.0.1:2380", "unsafe-no-fsync", "true",
		"log-level", "warn")...); err != nil {
		return err
	}
	if err := c.start("kube-apiserver", filepath.Join(c.k8sBin, "kube-apiserver"), flags(
		"etcd-servers", "http://127.0.0.1:2379",
		"advertise-address", NodeIP, "bind-address", "0.0.0.0", "secure-port", apiPort,
		"service-cluster-ip-range", ServiceCIDR,
		"tls-cert-file", filepath.Join(pki, "apiserver.crt"), "tls-private-key-file", filepath.Join(pki, "apiserver.key"),
		"client-ca-file", filepath.Join(pki, "ca.crt"),
		"kubelet-client-certificate", filepath.Join(pki, "apiserver-kubelet.crt"), "kubelet-client-key", filepath.Join(pki, "apiserver-kubelet.key"),
		"kubelet-preferred-address-types", "InternalIP",
		"service-account-issuer", "https://kubernetes.default.svc."+Domain,
		"service-account-key-file", filepath.Join(pki, "sa.pub"), "service-account-signing-key-file", filepath.Join(pki, "sa.key"),
		"authorization-mode", "Node,RBAC",
		"enable-admission-plugins", "NodeRestriction",
		"allow-privileged", "false",
		"profiling", "false",
		"v", "1")...); err != nil {
		return err
	}
	if err := c.waitAPI(ctx); err != nil {
		return err
	}

	c.step("kube-controller-manager, kube-scheduler, containerd")
	if err := c.start("kube-controller-manager", filepath.Join(c.nodeBin, "kube-controller-manager"), flags(
		"kubeconfig", kc("kube-controller-manager"),
		"authentication-kubeconfig", kc("kube-controller-manager"), "authorization-kubeconfig", kc("kube-controller-manager"),
		"service-account-private-key-file", filepath.Join(pki, "sa.key"), "root-ca-file", filepath.Join(pki, "ca.crt"),
		"use-service-account-credentials", "true",
		"controllers", "*,-node-ipam-controller",
		"leader-elect", "false", "bind-address", "127.0.0.1", "profiling", "false")...); err != nil {
		return err
	}
	if err := c.start("kube-scheduler", filepath.Join(c.nodeBin, "kube-scheduler"), flags(
		"kubeconfig", kc("kube-scheduler"),
		"authentication-kubeconfig", kc("kube-scheduler"), "authorization-kubeconfig", kc("kube-scheduler"),
		"leader-elect", "false", "bind-address", "127.0.0.1", "profiling", "false")...); err != nil {
		return err
	}
	if err := c.start("containerd", "containerd", "--config", filepath.Join(c.dir, "containerd.toml"), "--log-level", "warn"); err != nil {
		return err
	}
	if err := c.waitSocket(ctx, c.ContainerdSocket()); err != nil {
		return err
	}
	if err := c.ImportImage(ctx, pause); err != nil {
		return err
	}

	c.step("kubelet, kube-proxy, coredns")
	if err := c.start("kubelet", filepath.Join(c.nodeBin, "kubelet"), flags(
		"config", filepath.Join(c.dir, "kubelet.yaml"),
		"kubeconfig", kc("kubelet"),
		"root-dir", filepath.Join(c.dir, "kubelet"),
		"hostname-override", NodeName, "node-ip", NodeIP,
		"v", "1")...); err != nil {
		return err
	}
	if err := c.start("kube-proxy", filepath.Join(c.nodeBin, "kube-proxy"), "--config", filepath.Join(c.dir, "kube-proxy.yaml")); err != nil {
		return err
	}
	if err := c.start("coredns", filepath.Join(c.nodeBin, "coredns"), "-conf", filepath.Join(c.dir, "Corefile")); err != nil {
		return err
	}
	return c.waitNode(ctx)
}

// preflight names what is missing before anything starts.
func (c *Cluster) preflight() error {
	if os.Geteuid() != 0 {
		return errors.New("cluster: needs root (network namespace, cgroups, containerd)")
	}
	var missing []string
	for _, f := range []string{
		filepath.Join(c.k8sBin, "kube-apiserver"), filepath.Join(c.k8sBin, "etcd"), filepath.Join(c.k8sBin, "kubectl"),
		filepath.Join(c.nodeBin, "kube-controller-manager"), filepath.Join(c.nodeBin, "kube-scheduler"),
		filepath.Join(c.nodeBin, "kubelet"), filepath.Join(c.nodeBin, "kube-proxy"), filepath.Join(c.nodeBin, "coredns"),
		"/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/loopback",
	} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	for _, b := range []string{"containerd", "containerd-shim-runc-v2", "runc", "ctr", "iptables", "conntrack", "ip", "nsenter"} {
		if _, err := exec.LookPath(b); err != nil {
			if _, err := os.Stat("/usr/sbin/" + b); err != nil {
				missing = append(missing, b)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("cluster: missing %s (run hack/build-node.sh and hack/install-node.sh, or make cluster-deps)", strings.Join(missing, ", "))
	}
	return nil
}

// writeConfig writes the PKI, the kubeconfigs and every component's
// configuration.
func (c *Cluster) writeConfig() error {
	pki := filepath.Join(c.dir, "pki")
	authority, err := newCA()
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(pki, "ca.crt"), authority.pem); err != nil {
		return err
	}
	if err := writeServiceAccountKey(pki); err != nil {
		return err
	}
	type cert struct {
		file, cn string
		orgs     []string
		hosts    []string
	}
	server := "https://" + net.JoinHostPort(NodeIP, apiPort)
	for _, ct := range []cert{
		{file: "apiserver", cn: "kube-apiserver", hosts: hosts()},
		{file: "kubelet-serving", cn: NodeName, hosts: []string{NodeIP, NodeName}},
		{file: "apiserver-kubelet", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}},
		{file: "admin", cn: "tollgate-admin", orgs: []string{"system:masters"}},
		{file: "kube-controller-manager", cn: "system:kube-controller-manager"},
		{file: "kube-scheduler", cn: "system:kube-scheduler"},
		{file: "kubelet", cn: "system:node:" + NodeName, orgs: []string{"system:nodes"}},
		{file: "kube-proxy", cn: "system:kube-proxy"},
		// CoreDNS runs on the node, not as a pod; a test cluster's DNS
		// reads with an admin identity rather than its own RBAC.
		{file: "coredns", cn: "tollgate-coredns", orgs: []string{"system:masters"}},
	} {
		kp, err := authority.sign(ct.cn, ct.orgs, ct.hosts)
		if err != nil {
			return err
		}
		if err := kp.write(pki, ct.file); err != nil {
			return err
		}
		if len(ct.hosts) == 0 && ct.file != "apiserver-kubelet" {
			if err := writeFile(filepath.Join(c.dir, "kubeconfig", ct.file), kubeconfig(authority.pem, kp, server)); err != nil {
				return err
			}
		}
	}
	for name, b := range map[string][]byte{
		"containerd.toml":                c.containerdConfig(),
		"cni/net.d/10-tollgate.conflist": c.cniConfig(),
		"kubelet.yaml":                   c.kubeletConfig(),
		"kube-proxy.yaml":                c.kubeProxyConfig(),
		"Corefile":                       c.corefile(),
		"resolv.conf":                    []byte("# no upstream DNS: nothing leaves the cluster's namespace\n"),
	} {
		if err := writeFile(filepath.Join(c.dir, name), b); err != nil {
			return err
		}
	}
	return nil
}

// ImportImage loads an image archive (OCI layout or docker save) into the
// cluster's containerd, where the kubelet finds it without a registry.
func (c *Cluster) ImportImage(ctx context.Context, archive string) error {
	return run(ctx, "ctr", "--address", c.ContainerdSocket(), "-n", "k8s.io", "images", "import", "--snapshotter", "overlayfs", archive)
}

func (c *Cluster) waitFor(ctx context.Context, what string, timeout time.Duration, ok func(context.Context) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if ok(ctx) {
			return nil
		}
		if err := c.exited(); err != nil {
			return fmt.Errorf("cluster: waiting for %s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: waiting for %s: %w (logs in %s)", what, errTimeout, filepath.Join(c.dir, "logs"))
		case <-t.C:
		}
	}
}

func (c *Cluster) waitAPI(ctx context.Context) error {
	cfg, err := c.RESTConfig()
	if err != nil {
		return err
	}
	tlsCfg, err := rest.TLSConfigFor(cfg)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: c.Dial, TLSClientConfig: tlsCfg}}
	return c.waitFor(ctx, "kube-apiserver /readyz", 90*time.Second, func(ctx context.Context) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/readyz", nil)
		resp, err := hc.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func (c *Cluster) waitSocket(ctx context.Context, path string) error {
	return c.waitFor(ctx, path, 30*time.Second, func(ctx context.Context) bool {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "unix", path)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
}

// waitNode waits for the node to be Ready and for the default
// ServiceAccount (pods are refused until it exists).
func (c *Cluster) waitNode(ctx context.Context) error {
	cfg, err := c.RESTConfig()
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	c.step("waiting for node %s Ready and ServiceAccount default/default", NodeName)
	return c.waitFor(ctx, "node Ready", 2*time.Minute, func(ctx context.Context) bool {
		n, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return false
		}
		ready := false
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			return false
		}
		_, err = cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
}
