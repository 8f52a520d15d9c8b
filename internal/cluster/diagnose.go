package cluster

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Diagnose says, in a few dozen lines, why pods are not coming up: the
// free disk the kubelet judges eviction by, the node's abnormal conditions
// and taints, every pod that is not Ready with its containers' states, the
// warning events, the last log lines of containers that are not ready
// (and of their previous run after a restart), any component that exited
// and the kubelet's last errors. It is what a failed wait prints, so a
// failure seen only in CI carries its cause; it never fails itself, it
// reports what it could not read.
func (c *Cluster) Diagnose(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var b strings.Builder
	fmt.Fprintf(&b, "--- cluster diagnosis (%s)\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintln(&b, diskLine(c.dir))
	if err := c.exited(); err != nil {
		fmt.Fprintln(&b, err)
	}
	cfg, err := c.RESTConfig()
	if err != nil {
		fmt.Fprintln(&b, "no client:", err)
		return b.String()
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fmt.Fprintln(&b, "no client:", err)
		return b.String()
	}
	var d diagnosis
	if n, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{}); err != nil {
		fmt.Fprintln(&b, "node:", err)
	} else {
		d.node = n
	}
	if pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
		fmt.Fprintln(&b, "pods:", err)
	} else {
		d.pods = pods.Items
	}
	if evs, err := cs.CoreV1().Events("").List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"}); err != nil {
		fmt.Fprintln(&b, "events:", err)
	} else {
		d.events = evs.Items
	}
	d.write(&b)
	for _, p := range d.pods {
		if podReady(&p) {
			continue
		}
		for _, st := range p.Status.ContainerStatuses {
			ran := st.State.Running != nil || st.State.Terminated != nil
			if st.Ready || !ran && st.LastTerminationState.Terminated == nil {
				continue // ready, or never started (its state says why)
			}
			c.writeLogs(ctx, &b, cs, &p, st.Name, false)
			if st.State.Running != nil && st.LastTerminationState.Terminated != nil {
				c.writeLogs(ctx, &b, cs, &p, st.Name, true)
			}
		}
	}
	if errs := errorLines(tail(c.logPath("kubelet"), 400), 8); errs != "" {
		fmt.Fprintf(&b, "kubelet's last errors:\n%s\n", errs)
	}
	return b.String()
}

// diagnosis is what Diagnose read, written out by the pure write.
type diagnosis struct {
	node   *corev1.Node
	pods   []corev1.Pod
	events []corev1.Event
}

// maxEvents bounds the warning events shown, newest kept.
const maxEvents = 15

func (d diagnosis) write(w io.Writer) {
	if n := d.node; n != nil {
		var odd []string
		for _, cond := range n.Status.Conditions {
			want := corev1.ConditionFalse
			if cond.Type == corev1.NodeReady {
				want = corev1.ConditionTrue
			}
			if cond.Status != want {
				odd = append(odd, fmt.Sprintf("%s=%s (%s: %s)", cond.Type, cond.Status, cond.Reason, cond.Message))
			}
		}
		for _, t := range n.Spec.Taints {
			odd = append(odd, fmt.Sprintf("taint %s:%s", t.Key, t.Effect))
		}
		if len(odd) == 0 {
			fmt.Fprintf(w, "node %s: Ready, no pressure, no taints\n", n.Name)
		} else {
			fmt.Fprintf(w, "node %s: %s\n", n.Name, strings.Join(odd, "; "))
		}
	}
	notReady := 0
	for i := range d.pods {
		p := &d.pods[i]
		if podReady(p) {
			continue
		}
		notReady++
		fmt.Fprintf(w, "pod %s/%s: %s%s\n", p.Namespace, p.Name, p.Status.Phase, podReason(p))
		for _, st := range p.Status.ContainerStatuses {
			fmt.Fprintf(w, "  container %s: %s, ready=%t, restarts=%d\n", st.Name, containerState(st.State), st.Ready, st.RestartCount)
			if st.LastTerminationState.Terminated != nil {
				fmt.Fprintf(w, "    last run: %s\n", containerState(st.LastTerminationState))
			}
		}
	}
	fmt.Fprintf(w, "pods: %d, not ready: %d\n", len(d.pods), notReady)
	evs := append([]corev1.Event(nil), d.events...)
	sort.SliceStable(evs, func(i, j int) bool { return eventTime(&evs[i]).Before(eventTime(&evs[j])) })
	if len(evs) > maxEvents {
		fmt.Fprintf(w, "warning events: %d, the last %d:\n", len(evs), maxEvents)
		evs = evs[len(evs)-maxEvents:]
	} else {
		fmt.Fprintf(w, "warning events: %d\n", len(evs))
	}
	for _, e := range evs {
		fmt.Fprintf(w, "  %s %s/%s %s (x%d): %s\n", eventTime(&e).UTC().Format("15:04:05"), strings.ToLower(e.InvolvedObject.Kind), e.InvolvedObject.Name, e.Reason, max(e.Count, 1), strings.TrimSpace(e.Message))
	}
}

// podReady: Ready, or finished (a completed Job's pod is not a problem).
func podReady(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded {
		return true
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podReason names why a pod is not Ready: the pod's own reason, or its
// first false condition (PodScheduled=False carries the scheduler's
// message, such as an untolerated disk-pressure taint).
func podReason(p *corev1.Pod) string {
	if p.Status.Reason != "" {
		return fmt.Sprintf(" (%s: %s)", p.Status.Reason, p.Status.Message)
	}
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && (c.Reason != "" || c.Message != "") {
			return fmt.Sprintf(" (%s=%s %s: %s)", c.Type, c.Status, c.Reason, c.Message)
		}
	}
	return ""
}

func containerState(s corev1.ContainerState) string {
	switch {
	case s.Waiting != nil:
		return strings.TrimSpace(fmt.Sprintf("waiting %s %s", s.Waiting.Reason, s.Waiting.Message))
	case s.Terminated != nil:
		return strings.TrimSpace(fmt.Sprintf("terminated %s exit %d %s", s.Terminated.Reason, s.Terminated.ExitCode, s.Terminated.Message))
	case s.Running != nil:
		return "running since " + s.Running.StartedAt.UTC().Format("15:04:05")
	}
	return "no state"
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// logLines bounds each container log shown.
const logLines = 20

func (c *Cluster) writeLogs(ctx context.Context, w io.Writer, cs kubernetes.Interface, p *corev1.Pod, container string, previous bool) {
	n := int64(logLines)
	raw, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container, Previous: previous, TailLines: &n}).DoRaw(ctx)
	which := "log"
	if previous {
		which = "previous run's log"
	}
	if err != nil {
		fmt.Fprintf(w, "%s/%s %s %s: %v\n", p.Namespace, p.Name, container, which, err)
		return
	}
	fmt.Fprintf(w, "%s/%s %s %s:\n%s\n", p.Namespace, p.Name, container, which, indent(strings.TrimRight(string(raw), "\n")))
}

func indent(s string) string {
	if s == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// errorLines keeps the last n klog error lines (those starting "E") of a
// component log.
func errorLines(log string, n int) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "E") {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "\n")
}

// diskLine reports the free space of the filesystem holding the cluster's
// state (containerd's images and the pods' volumes): the kubelet's
// eviction signals read the same filesystem.
func diskLine(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Sprintf("disk: %v", err)
	}
	free := st.Bavail * uint64(st.Bsize)
	total := st.Blocks * uint64(st.Bsize)
	return fmt.Sprintf("disk: %s free of %s under %s (the kubelet evicts below %s)", mib(free), mib(total), dir, EvictionFloor)
}

func mib(b uint64) string { return fmt.Sprintf("%d MiB", b>>20) }
