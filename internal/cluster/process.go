package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// start runs one component inside the network namespace and the cluster's
// own cgroup (so clean-up can find everything it forked, containerd's shims
// included), logging to logs/<name>.log and recording its PID in
// pids/<name>.pid. A shell wrapper joins the cgroups before exec, so no
// child escapes them.
func (c *Cluster) start(name, bin string, args ...string) error {
	argv := append([]string{bin}, args...)
	logf, err := os.OpenFile(filepath.Join(c.dir, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	defer logf.Close()
	var join strings.Builder
	for _, h := range c.cgroupHierarchies() {
		fmt.Fprintf(&join, "echo $$ > %s/cgroup.procs && ", filepath.Join(h, c.cgroupRoot, "system"))
	}
	script := join.String() + `exec nsenter --net="$0" -- "$@"`
	//nolint:noctx // a component outlives the call that starts it; Down stops it by its recorded PID
	cmd := exec.Command("sh", append([]string{"-c", script, netnsPath(c.netns)}, argv...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C in the terminal reaches the owner,
	// which stops the components in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "PATH="+c.path)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cluster: starting %s: %w", name, err)
	}
	c.order++
	rec := fmt.Sprintf("%d %d %s\n", cmd.Process.Pid, c.order, argv[0])
	if err := os.WriteFile(filepath.Join(c.dir, "pids", name+".pid"), []byte(rec), 0o644); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	done := make(chan struct{})
	c.procs = append(c.procs, pidRecord{name: name, pid: cmd.Process.Pid, order: c.order, bin: argv[0], done: done})
	go func() { _ = cmd.Wait(); close(done) }()
	return nil
}

// pidRecord is one line of pids/<name>.pid.
type pidRecord struct {
	name  string
	pid   int
	order int
	bin   string
	// done is closed when a process this run started has exited.
	done chan struct{}
}

func readPIDs(dir string) []pidRecord {
	files, _ := filepath.Glob(filepath.Join(dir, "pids", "*.pid"))
	var recs []pidRecord
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var r pidRecord
		if _, err := fmt.Sscanf(string(b), "%d %d %s", &r.pid, &r.order, &r.bin); err != nil {
			continue
		}
		r.name = strings.TrimSuffix(filepath.Base(f), ".pid")
		recs = append(recs, r)
	}
	// Stop in reverse start order: the node before the control plane.
	sort.Slice(recs, func(i, j int) bool { return recs[i].order > recs[j].order })
	return recs
}

// alive reports whether pid still runs the recorded binary (a PID the
// kernel has handed to another program since is left alone).
func alive(pid int, bin string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return false
	}
	if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
			return false
		}
	}
	return bytes.Contains(b, []byte(bin))
}

// stop sends TERM, waits up to grace, then KILL.
func stop(r pidRecord, grace time.Duration) error {
	if !alive(r.pid, r.bin) {
		return nil
	}
	_ = syscall.Kill(r.pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !alive(r.pid, r.bin) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(r.pid, syscall.SIGKILL)
	for range 100 {
		if !alive(r.pid, r.bin) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("cluster: %s (pid %d) survived SIGKILL", r.name, r.pid)
}

// exited reports a component that is no longer running, with its log's tail.
func (c *Cluster) exited() error {
	for _, r := range c.procs {
		select {
		case <-r.done:
			return fmt.Errorf("cluster: %s exited; last lines of %s:\n%s", r.name, c.logPath(r.name), tail(c.logPath(r.name), 15))
		default:
		}
	}
	return nil
}

func (c *Cluster) logPath(name string) string { return filepath.Join(c.dir, "logs", name+".log") }

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// run runs a short command and returns its output in the error.
func run(ctx context.Context, argv ...string) error {
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cluster: %s: %w: %s", strings.Join(argv, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

var errTimeout = errors.New("timed out")

// StartProcess runs an extra program inside the namespace (redis-server on
// the node address, say) with the same PID record and log as the
// components, so Down stops it too.
func (c *Cluster) StartProcess(name, bin string, args ...string) error {
	return c.start(name, bin, args...)
}

// StopProcess stops a program StartProcess started (TERM, then KILL).
func (c *Cluster) StopProcess(name string) error {
	for _, r := range readPIDs(c.dir) {
		if r.name == name {
			err := stop(r, 5*time.Second)
			_ = os.Remove(filepath.Join(c.dir, "pids", name+".pid"))
			return err
		}
	}
	return nil
}
