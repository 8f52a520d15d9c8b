package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// The cluster's addresses, all inside its own network namespace: the node
// IP on the namespace's loopback, pods on bridge cni0, Services routed onto
// the bridge so kube-proxy's rules answer ClusterIPs. The namespace has no
// default route and no link to the host: nothing leaves it.
const (
	NodeIP       = "10.250.0.10"
	PodCIDR      = "10.244.0.0/24"
	bridgeIP     = "10.244.0.1"
	ServiceCIDR  = "10.96.0.0/16"
	DNSIP        = "10.96.0.10"
	apiServerSvc = "10.96.0.1"
	Domain       = "cluster.local"
	NodeName     = "tollgate-node"
	apiPort      = "6443"
)

// netnsPath is where `ip netns add` pins a namespace.
func netnsPath(name string) string { return "/run/netns/" + name }

// setupNetns creates the namespace and its addresses and routes.
func (c *Cluster) setupNetns(ctx context.Context) error {
	n := c.netns
	steps := [][]string{
		{"ip", "netns", "add", n},
		{"ip", "-n", n, "link", "set", "lo", "up"},
		{"ip", "-n", n, "addr", "add", NodeIP + "/32", "dev", "lo"},
		{"ip", "-n", n, "addr", "add", DNSIP + "/32", "dev", "lo"},
		{"ip", "-n", n, "link", "add", "cni0", "type", "bridge"},
		{"ip", "-n", n, "addr", "add", bridgeIP + "/24", "dev", "cni0"},
		{"ip", "-n", n, "link", "set", "cni0", "up"},
		{"ip", "-n", n, "route", "add", ServiceCIDR, "dev", "cni0", "src", NodeIP},
		// Forwarding between pods and the node, and bridged pod-to-pod
		// traffic through iptables (kube-proxy's DNAT of ClusterIPs); both
		// settings belong to this namespace only.
		{"nsenter", "--net=" + netnsPath(n), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1"},
	}
	for _, s := range steps {
		if err := run(ctx, s...); err != nil {
			return err
		}
	}
	return nil
}

// Dial opens a TCP connection from inside the cluster's network namespace
// (to a pod, a ClusterIP or the API server) while the rest of the process
// stays on the host: the socket is created on an OS thread that has joined
// the namespace, then the thread goes back. Host names are resolved with
// the cluster's DNS (see Resolve).
func (c *Cluster) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: dial %s: %w", addr, err)
	}
	if net.ParseIP(host) == nil {
		ips, err := c.Resolve(ctx, host)
		if err != nil {
			return nil, err
		}
		host = ips[0]
	}
	return c.inNetns(ctx, func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(host, port))
	})
}

// Resolve looks a name up in the cluster's CoreDNS: a Service name such as
// main.default.svc gets the cluster domain appended.
func (c *Cluster) Resolve(ctx context.Context, name string) ([]string, error) {
	fqdn := strings.TrimSuffix(name, ".")
	if strings.HasSuffix(fqdn, ".svc") {
		fqdn += "." + Domain
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return c.inNetns(ctx, func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, net.JoinHostPort(DNSIP, "53"))
		})
	}}
	ips, err := r.LookupHost(ctx, fqdn+".")
	if err != nil {
		return nil, fmt.Errorf("cluster: resolving %s in the cluster DNS: %w", name, err)
	}
	return ips, nil
}

// Listen opens a listener inside the namespace (a test's stand-in upstream
// that pods can reach on the node address, say).
func (c *Cluster) Listen(ctx context.Context, addr string) (net.Listener, error) {
	var l net.Listener
	_, err := c.inNetns(ctx, func(ctx context.Context) (net.Conn, error) {
		var lc net.ListenConfig
		var err error
		l, err = lc.Listen(ctx, "tcp", addr)
		return nil, err
	})
	return l, err
}

// inNetns runs open on a locked OS thread that has joined the namespace.
// Sockets keep the namespace they were created in, so open's result works
// from any thread afterwards. A thread that cannot return to the host
// namespace is never unlocked, so the runtime retires it.
func (c *Cluster) inNetns(ctx context.Context, open func(context.Context) (net.Conn, error)) (net.Conn, error) {
	type result struct {
		conn net.Conn
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		host, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("cluster: %w", err)}
			return
		}
		defer host.Close()
		target, err := os.Open(netnsPath(c.netns))
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("cluster: is the cluster up? %w", err)}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("cluster: entering namespace %s: %w", c.netns, err)}
			return
		}
		conn, err := open(ctx)
		if unix.Setns(int(host.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{conn, err}
	}()
	r := <-ch
	return r.conn, r.err
}
