package cluster

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDiagnosisWrite: a node under disk pressure, a Pending pod the
// scheduler refused, a crash-looping container and a Ready pod; the
// report names the first three and leaves the Ready pod out.
func TestDiagnosisWrite(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 12, 2, 23, 28, 3, 0, time.UTC))
	ready := corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue}
	d := diagnosis{
		node: &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: NodeName},
			Spec:       corev1.NodeSpec{Taints: []corev1.Taint{{Key: "node.kubernetes.io/disk-pressure", Effect: corev1.TaintEffectNoSchedule}}},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue},
				{Type: corev1.NodeDiskPressure, Status: corev1.ConditionTrue, Reason: "KubeletHasDiskPressure", Message: "kubelet has disk pressure"},
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
			}},
		},
		pods: []corev1.Pod{
			{
				ObjectMeta: metav1.ObjectMeta{Namespace: "tollgate-system", Name: "tollgate-operator-1"},
				Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
					{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }."},
				}},
			},
			{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "main-1"},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
					ContainerStatuses: []corev1.ContainerStatus{{
						Name: "proxy", RestartCount: 3,
						State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s"}},
						LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}},
					}}},
			},
			{
				ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns-1"},
				Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{ready}},
			},
		},
		events: []corev1.Event{{
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "tollgate-operator-1"},
			Reason:         "FailedScheduling", Message: "0/1 nodes are available", LastTimestamp: at,
		}},
	}
	var b strings.Builder
	d.write(&b)
	want := `node tollgate-node: DiskPressure=True (KubeletHasDiskPressure: kubelet has disk pressure); taint node.kubernetes.io/disk-pressure:NoSchedule
pod tollgate-system/tollgate-operator-1: Pending (PodScheduled=False Unschedulable: 0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }.)
pod default/main-1: Running
  container proxy: waiting CrashLoopBackOff back-off 40s, ready=false, restarts=3
    last run: terminated Error exit 1
pods: 3, not ready: 2
warning events: 1
  23:28:03 pod/tollgate-operator-1 FailedScheduling (x1): 0/1 nodes are available
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestErrorLines(t *testing.T) {
	log := "I1 fine\nE1 first\nW1 warn\nE2 second\nE3 third"
	if got := errorLines(log, 2); got != "E2 second\nE3 third" {
		t.Errorf("errorLines = %q", got)
	}
}
