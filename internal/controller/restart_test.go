package controller_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/controller"
	"github.com/tollgate-dev/tollgate/internal/poll"
	"github.com/tollgate-dev/tollgate/internal/testenv"
)

// TestAPIServerRestartUnderLiveOperator kills the kube-apiserver with
// SIGKILL while the operator runs, starts it again with the same command
// line (same port, cert dir and therefore serving certificate, same etcd),
// and checks that the same manager, through its existing clients and
// informers, reconciles a spec change made after the restart without
// duplicating the gateway's children.
func TestAPIServerRestartUnderLiveOperator(t *testing.T) {
	if sharedErr != nil {
		testenv.SkipOrFail(t, sharedErr)
	}
	logDir := t.TempDir() // removed last: after every process below is gone

	// Registered before the control plane so that it runs after its Stop:
	// nothing this test started may outlive it.
	var certDir, dataDir string
	t.Cleanup(func() {
		for _, dir := range []string{certDir, dataDir} {
			if dir == "" {
				continue
			}
			if err := waitNoProcess(dir, 30*time.Second); err != nil {
				t.Error(err)
			}
		}
	})

	scheme, err := controller.NewScheme()
	must(t, err)
	e := testenv.Start(t, testenv.Options{Scheme: scheme})
	api := e.Environment.ControlPlane.APIServer
	certDir, dataDir = api.CertDir, e.Environment.ControlPlane.Etcd.DataDir
	if certDir == "" || dataDir == "" {
		t.Fatalf("envtest reports no cert dir (%q) or etcd data dir (%q)", certDir, dataDir)
	}
	host, port := api.SecureServing.Address, api.SecureServing.Port
	if host != "127.0.0.1" {
		t.Fatalf("kube-apiserver listens on %q, want 127.0.0.1", host)
	}
	hostPort := net.JoinHostPort(host, port)

	// Runs before the control plane's Stop: the manager first, then the
	// restarted kube-apiserver, so that envtest only finds an exited
	// kube-apiserver (its Stop returns at once for one) and a running etcd.
	ctx, cancel := context.WithCancel(context.Background())
	done, err := startManager(ctx, e)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var restarted *exec.Cmd
	var restartedDone chan struct{}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the manager did not stop within 30s of its context ending")
		}
		if restarted != nil {
			_ = restarted.Process.Kill()
			select {
			case <-restartedDone:
			case <-time.After(30 * time.Second):
				t.Errorf("the restarted kube-apiserver (pid %d) did not exit within 30s of SIGKILL", restarted.Process.Pid)
			}
		}
	})

	c := e.Client
	ctx = context.Background() // for the test's client
	ns := namespace(t, c)
	gw := samples(t, c, ns, nil)
	awaitCondition(t, c, gw, v1alpha1.ConditionProgrammed, metav1.ConditionTrue, v1alpha1.ReasonProgrammed)

	// Find the kube-apiserver by its cert dir and kill it hard: a graceful
	// stop waits for the operator's open watches.
	pids, err := processesWith("--cert-dir=" + certDir)
	must(t, err)
	if len(pids) != 1 {
		t.Fatalf("%d processes with --cert-dir=%s (%v), want the one kube-apiserver", len(pids), certDir, pids)
	}
	argv, err := cmdline(pids[0])
	must(t, err)
	if filepath.Base(argv[0]) != "kube-apiserver" {
		t.Fatalf("process %d is %q, not kube-apiserver", pids[0], argv[0])
	}
	if !hasArg(argv, "--secure-port="+port) {
		t.Fatalf("kube-apiserver command line %q has no --secure-port=%s", argv, port)
	}
	must(t, syscall.Kill(pids[0], syscall.SIGKILL))
	killed := time.Now()
	poll.Until(t, 30*time.Second, func() error {
		conn, err := net.DialTimeout("tcp", hostPort, time.Second)
		if err != nil {
			return nil // refused: the server is gone
		}
		conn.Close()
		return fmt.Errorf("%s still accepts connections", hostPort)
	})
	poll.Until(t, 30*time.Second, func() error {
		if p, err := processesWith("--cert-dir=" + certDir); err != nil || len(p) != 0 {
			return fmt.Errorf("kube-apiserver still running: %v %v", p, err)
		}
		return nil
	})

	// Start it again with the same command line.
	logFile, err := os.Create(filepath.Join(logDir, "kube-apiserver.log"))
	must(t, err)
	defer logFile.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	must(t, cmd.Start())
	restarted, restartedDone = cmd, make(chan struct{})
	go func() { defer close(restartedDone); _ = cmd.Wait() }()
	logTail := func() string {
		data, _ := os.ReadFile(logFile.Name())
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		return string(data)
	}

	// Ready, through the operator's credentials and trust: the restarted
	// server presents the same certificate.
	hc, err := rest.HTTPClientFor(e.Config)
	must(t, err)
	hc.Timeout = 5 * time.Second
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := readyz(hc, e.Config.Host)
		if err == nil {
			break
		}
		select {
		case <-restartedDone:
			t.Fatalf("the restarted kube-apiserver exited: %v\n%s", cmd.ProcessState, logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted kube-apiserver is not ready after 2m: %v\n%s", err, logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("kube-apiserver pid %d killed; pid %d ready %s later", pids[0], cmd.Process.Pid, time.Since(killed).Round(time.Millisecond))

	// A change after the restart reaches the live operator.
	poll.Until(t, converge, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(gw), gw); err != nil {
			return err
		}
		gw.Spec.Replicas = ptr(int32(2))
		return c.Update(ctx, gw)
	})
	gen, changed := gw.Generation, time.Now()
	poll.Until(t, 2*converge, func() error {
		var d appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main"}, &d); err != nil {
			return err
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
			return fmt.Errorf("Deployment replicas = %v, want 2", d.Spec.Replicas)
		}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main"}, &policyPDB{}); err != nil {
			return fmt.Errorf("PodDisruptionBudget: %w", err)
		}
		return condition(ctx, c, gw, v1alpha1.ConditionProgrammed, metav1.ConditionTrue, v1alpha1.ReasonProgrammed)
	})
	t.Logf("generation %d reconciled %s after the change", gen, time.Since(changed).Round(time.Millisecond))
	if gw.Generation != gen || gw.Status.ObservedGeneration != gen {
		t.Errorf("generation %d, observedGeneration %d, want both %d", gw.Generation, gw.Status.ObservedGeneration, gen)
	}
	select {
	case <-done:
		t.Fatal("the manager exited during the restart")
	default:
	}

	// Exactly one of each child, however many times it was reconciled.
	for kind, l := range map[string]client.ObjectList{
		"Deployment": &appsv1.DeploymentList{}, "Service": &corev1.ServiceList{}, "Secret": &corev1.SecretList{},
	} {
		must(t, c.List(ctx, l, client.InNamespace(ns)))
		items, err := metaItems(l)
		must(t, err)
		var owned []string
		for _, o := range items {
			if ref := metav1.GetControllerOf(o); ref != nil && ref.UID == gw.UID {
				owned = append(owned, o.GetName())
			}
		}
		want := "main"
		if kind == "Secret" {
			want = "main-config"
		}
		if len(owned) != 1 || owned[0] != want {
			t.Errorf("%ss controlled by the gateway: %v, want [%s]", kind, owned, want)
		}
	}
	var deps appsv1.DeploymentList
	must(t, c.List(ctx, &deps, client.InNamespace(ns)))
	if len(deps.Items) != 1 {
		t.Errorf("%d Deployments in the namespace, want 1", len(deps.Items))
	}
}

// readyz asks host's /readyz.
func readyz(hc *http.Client, host string) error {
	resp, err := hc.Get(strings.TrimSuffix(host, "/") + "/readyz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s", resp.Status)
	}
	return nil
}

// processesWith lists the live processes one of whose arguments contains
// s. Zombies have an empty command line and are not listed.
func processesWith(s string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, en := range entries {
		pid, err := strconv.Atoi(en.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		argv, err := cmdline(pid)
		if err != nil {
			continue // gone meanwhile
		}
		for _, a := range argv {
			if strings.Contains(a, s) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids, nil
}

func cmdline(pid int) ([]string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSuffix(data, []byte{0})
	if len(data) == 0 {
		return nil, fmt.Errorf("process %d has no command line", pid)
	}
	return strings.Split(string(data), "\x00"), nil
}

func hasArg(argv []string, arg string) bool {
	for _, a := range argv {
		if a == arg {
			return true
		}
	}
	return false
}

// waitNoProcess waits until no process has an argument containing s.
func waitNoProcess(s string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pids, err := processesWith(s)
		if err == nil && len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes still running with %s: %v (%v)", s, pids, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
