package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupHierarchies lists the mounted cgroup hierarchies (v1 controllers,
// the named systemd one and a v2 unified mount when there is one).
func (c *Cluster) cgroupHierarchies() []string {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 3 && (fields[2] == "cgroup" || fields[2] == "cgroup2") && strings.HasPrefix(fields[1], "/sys/fs/cgroup") {
			out = append(out, fields[1])
		}
	}
	return out
}

// setupCgroups creates the cluster's cgroup root (the kubelet's cgroupRoot,
// with the pods below it) and root/system for the components, in every
// hierarchy. A new cpuset cgroup starts with no CPUs and no memory nodes:
// copy the parent's.
func (c *Cluster) setupCgroups() error {
	for _, h := range c.cgroupHierarchies() {
		for _, d := range []string{filepath.Join(h, c.cgroupRoot), filepath.Join(h, c.cgroupRoot, "system")} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("cluster: cgroup: %w", err)
			}
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if _, err := os.Stat(filepath.Join(d, f)); err != nil {
					continue
				}
				b, err := os.ReadFile(filepath.Join(filepath.Dir(d), f))
				if err != nil {
					return fmt.Errorf("cluster: cgroup: %w", err)
				}
				if err := os.WriteFile(filepath.Join(d, f), b, 0o644); err != nil {
					return fmt.Errorf("cluster: cgroup %s: %w", f, err)
				}
			}
		}
	}
	return nil
}

// Down stops the cluster and removes what it left on the machine: the
// recorded components (TERM, then KILL), every process still in the
// cluster's cgroups (containers and containerd's shims), mounts under the
// state folder, the network namespace and the cgroups. Logs and the
// built state folder stay for reading. It is safe to call on a cluster
// that never started or already stopped.
func (c *Cluster) Down() error {
	var errs []error
	for _, r := range readPIDs(c.dir) {
		grace := 10 * time.Second
		if r.name == "kubelet" || r.name == "containerd" {
			grace = 5 * time.Second
		}
		if err := stop(r, grace); err != nil {
			errs = append(errs, err)
		}
		_ = os.Remove(filepath.Join(c.dir, "pids", r.name+".pid"))
	}
	c.procs = nil
	if err := c.killCgroups(); err != nil {
		errs = append(errs, err)
	}
	if err := c.unmountAll(); err != nil {
		errs = append(errs, err)
	}
	if _, err := os.Stat(netnsPath(c.netns)); err == nil {
		if err := run(context.Background(), "ip", "netns", "delete", c.netns); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.removeCgroups(); err != nil {
		errs = append(errs, err)
	}
	// Data that only this run can use; logs and configuration stay.
	for _, d := range []string{"etcd", "containerd", "kubelet", "run", "cni/ipam"} {
		if err := os.RemoveAll(filepath.Join(c.dir, d)); err != nil {
			errs = append(errs, fmt.Errorf("cluster: %w", err))
		}
	}
	return errors.Join(errs...)
}

// cgroupDirs lists the cluster's cgroups in one hierarchy, deepest first.
func (c *Cluster) cgroupDirs(h string) []string {
	var dirs []string
	_ = filepath.WalkDir(filepath.Join(h, c.cgroupRoot), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	return dirs
}

// killCgroups SIGKILLs every process left in the cluster's cgroups until
// none is left (a container can fork while it is being killed).
func (c *Cluster) killCgroups() error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		pids := map[int]bool{}
		for _, h := range c.cgroupHierarchies() {
			for _, d := range c.cgroupDirs(h) {
				b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
				if err != nil {
					continue
				}
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
						pids[pid] = true
					}
				}
			}
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster: %d processes stay in cgroup %s", len(pids), c.cgroupRoot)
		}
		for pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Cluster) removeCgroups() error {
	var errs []error
	for _, h := range c.cgroupHierarchies() {
		for _, d := range c.cgroupDirs(h) {
			var err error
			for range 20 { // a killed process leaves its cgroup a moment later
				if err = syscall.Rmdir(d); err == nil || errors.Is(err, syscall.ENOENT) {
					err = nil
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("cluster: removing cgroup %s: %w", d, err))
			}
		}
	}
	return errors.Join(errs...)
}

// unmountAll detaches every mount under the state folder (pod volumes,
// container root filesystems, sandbox network namespaces), deepest first.
func (c *Cluster) unmountAll() error {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	var mounts []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		if mp == c.dir || strings.HasPrefix(mp, c.dir+"/") {
			mounts = append(mounts, mp)
		}
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	var errs []error
	for _, m := range mounts {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("cluster: unmounting %s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
