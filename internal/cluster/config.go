package cluster

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
)

// kubeconfig is a client's kubeconfig with its certificate embedded.
func kubeconfig(caPEM []byte, kp keyPair, server string) []byte {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: tollgate
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: tollgate
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: tollgate
  context: {cluster: tollgate, user: tollgate}
current-context: tollgate
`, server, b64(caPEM), b64(kp.cert), b64(kp.key))
}

// containerdConfig is containerd 1.6's CRI setup. restrict_oom_score_adj:
// the sandbox this runs in lacks CAP_SYS_RESOURCE, and without it runc
// fails with "can't get final child's PID from pipe: EOF". Its own root,
// state, runc root and pod network-namespace mounts keep it apart from any
// other containerd on the machine.
func (c *Cluster) containerdConfig() []byte {
	return fmt.Appendf(nil, `version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[4]q
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %[5]q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[6]q
`, filepath.Join(c.dir, "containerd", "root"), filepath.Join(c.dir, "containerd", "state"), c.ContainerdSocket(),
		PauseImage, filepath.Join(c.dir, "containerd", "runc"), filepath.Join(c.dir, "cni", "net.d"))
}

// cniConfig puts pods on bridge cni0 (created with the namespace) with
// host-local addresses; hairpin mode lets a pod reach itself through its
// Service.
func (c *Cluster) cniConfig() []byte {
	return fmt.Appendf(nil, `{
  "cniVersion": "0.4.0",
  "name": "tollgate",
  "plugins": [{
    "type": "bridge",
    "bridge": "cni0",
    "isGateway": true,
    "ipMasq": false,
    "hairpinMode": true,
    "ipam": {
      "type": "host-local",
      "dataDir": %q,
      "ranges": [[{"subnet": %q, "gateway": %q}]],
      "routes": [{"dst": "0.0.0.0/0"}]
    }
  }]
}
`, filepath.Join(c.dir, "cni", "ipam"), PodCIDR, bridgeIP)
}

// EvictionFloor is the free space below which the kubelet evicts pods and
// taints the node with disk pressure. The default, and the 1% this had
// before, are shares of the filesystem: on this machine's shared 252 GiB
// disk 1% is 2.5 GiB, and the disk has been seen with 2.5 GiB and once
// with 287 MiB free. Below the line the node is tainted and every new pod
// stays Pending. An absolute floor only stops pods on a disk that is
// really full.
const EvictionFloor = "64Mi"

// kubeletConfig: cgroupfs on this machine's cgroup v1 (failCgroupV1
// false), the cluster's own cgroup root, and eviction thresholds (see
// EvictionFloor) that a busy shared disk does not reach.
func (c *Cluster) kubeletConfig() []byte {
	pki := filepath.Join(c.dir, "pki")
	return fmt.Appendf(nil, `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %[1]s
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %[2]q}
authorization: {mode: Webhook}
tlsCertFile: %[3]q
tlsPrivateKeyFile: %[4]q
containerRuntimeEndpoint: unix://%[5]s
cgroupDriver: cgroupfs
cgroupRoot: %[6]s
failCgroupV1: false
failSwapOn: false
clusterDNS: [%[7]s]
clusterDomain: %[8]s
resolvConf: %[9]q
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: %[10]s
  nodefs.inodesFree: 1%%
  imagefs.available: %[10]s
evictionPressureTransitionPeriod: 10s
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 5s
shutdownGracePeriod: 0s
`, NodeIP, filepath.Join(pki, "ca.crt"), filepath.Join(pki, "kubelet-serving.crt"), filepath.Join(pki, "kubelet-serving.key"),
		c.ContainerdSocket(), c.cgroupRoot, DNSIP, Domain, filepath.Join(c.dir, "resolv.conf"), EvictionFloor)
}

// kubeProxyConfig: iptables mode, and no changes to the machine-wide
// conntrack settings (maxPerCore 0 and zero timeouts leave them alone).
func (c *Cluster) kubeProxyConfig() []byte {
	return fmt.Appendf(nil, `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: %q
mode: iptables
hostnameOverride: %s
clusterCIDR: %s
bindAddress: %s
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables:
  localhostNodePorts: false
  syncPeriod: 30s
  minSyncPeriod: 0s
`, filepath.Join(c.dir, "kubeconfig", "kube-proxy"), NodeName, PodCIDR, NodeIP)
}

// corefile serves cluster.local from the API on the cluster DNS address;
// nothing is forwarded (nothing leaves the namespace). No cache: a Service
// is resolvable as soon as it exists.
func (c *Cluster) corefile() []byte {
	return fmt.Appendf(nil, `.:53 {
    bind %s
    errors
    kubernetes %s in-addr.arpa ip6.arpa {
        kubeconfig %s
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
}
`, DNSIP, Domain, filepath.Join(c.dir, "kubeconfig", "coredns"))
}

func flags(kv ...string) []string {
	out := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, "--"+kv[i]+"="+kv[i+1])
	}
	return out
}

func hosts(extra ...string) []string {
	return append([]string{NodeIP, apiServerSvc, "127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc." + Domain}, extra...)
}
