package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/tollgate-dev/tollgate/internal/cluster"
)

// childKinds are the kinds the operator creates for a gateway.
const childKinds = "deployments,services,secrets,configmaps,serviceaccounts,roles,rolebindings,poddisruptionbudgets,horizontalpodautoscalers,networkpolicies"

// children lists "kind/name" of the objects owned by uid.
func children(t testing.TB, ns, uid string) []string {
	t.Helper()
	var list struct {
		Items []struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name            string `json:"name"`
				OwnerReferences []struct {
					UID string `json:"uid"`
				} `json:"ownerReferences"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(kubectl(t, "-n", ns, "get", childKinds, "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range list.Items {
		for _, o := range it.Metadata.OwnerReferences {
			if o.UID == uid {
				out = append(out, it.Kind+"/"+it.Metadata.Name)
			}
		}
	}
	return out
}

// testGarbageCollection: deleting a Consumer removes its key Secret and
// the gateway refuses the key; deleting an AIGateway removes every child
// (the garbage collector, not the operator, does this).
func testGarbageCollection(t *testing.T) {
	applyYAML(t, `apiVersion: ai.tollgate.dev/v1alpha1
kind: AIGateway
metadata: {name: gc, namespace: default}
spec:
  replicas: 1
  providerSelector: {matchLabels: {tollgate.dev/tier: demo}}
---
apiVersion: ai.tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: gc-user, namespace: default}
spec:
  gateways: [gc]
  credentials: {generate: {}}
`)
	kubectl(t, "wait", "--for=condition=Ready", "aigateway/gc", "--timeout=3m")
	key := secretValue(t, "default", "gc-user-key", "apiKey")
	url := kubectl(t, "get", "aigateway/gc", "-o", "jsonpath={.status.url}")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := openaiClient(url, key)
	eventually(t, time.Minute, "gc-user's key accepted", func() bool {
		_, err := c.Chat.Completions.New(ctx, chatParams("mock-small", "hi"))
		return err == nil
	})

	kubectl(t, "delete", "consumer/gc-user", "--wait=true", "--timeout=1m")
	eventually(t, time.Minute, "Secret gc-user-key deleted", func() bool {
		_, err := kubectlErr(t, "get", "secret/gc-user-key")
		return err != nil && strings.Contains(err.Error(), "NotFound")
	})
	eventually(t, time.Minute, "the deleted consumer's key refused", func() bool {
		_, err := c.Chat.Completions.New(ctx, chatParams("mock-small", "hi"))
		var apiErr *openai.Error
		return errors.As(err, &apiErr) && apiErr.StatusCode == 401
	})

	uid := kubectl(t, "get", "aigateway/gc", "-o", "jsonpath={.metadata.uid}")
	owned := children(t, "default", uid)
	if len(owned) < 3 {
		t.Fatalf("gateway gc owns %v, want at least its Deployment, Service and config Secret", owned)
	}
	sel := selector(t, "deployment/gc")
	start := time.Now()
	kubectl(t, "delete", "aigateway/gc", "--wait=true", "--timeout=1m")
	eventually(t, 90*time.Second, "every child of gateway gc collected", func() bool {
		return len(children(t, "default", uid)) == 0 && strings.TrimSpace(kubectl(t, "get", "pods", "-l", sel, "-o", "name")) == ""
	})
	t.Logf("deleting AIGateway gc collected %v and its pods in %s", owned, time.Since(start).Round(time.Second))
}

// testLeaderHandover SIGKILLs the operator's process (its lease is not
// released) and requires a new leader within the lease time, the same
// children afterwards and no "forbidden" in the operator's logs or events.
func testLeaderHandover(t *testing.T) {
	const lease = "tollgate-operator.ai.tollgate.dev"
	holder := func() string {
		out, _ := kubectlErr(t, "-n", operatorNS, "get", "lease", lease, "-o", "jsonpath={.spec.holderIdentity}")
		return out
	}
	eventually(t, time.Minute, "a leader", func() bool { return holder() != "" })
	old := holder()
	duration := kubectl(t, "-n", operatorNS, "get", "lease", lease, "-o", "jsonpath={.spec.leaseDurationSeconds}")
	uid := kubectl(t, "get", "aigateway/main", "-o", "jsonpath={.metadata.uid}")
	before := children(t, "default", uid)

	sel := selector(t, "deployment/tollgate-operator", operatorNS)
	cid := kubectl(t, "-n", operatorNS, "get", "pods", "-l", sel, "-o", "jsonpath={.items[0].status.containerStatuses[0].containerID}")
	cid = strings.TrimPrefix(cid, "containerd://")
	start := time.Now()
	if out, err := exec.Command("ctr", "--address", kc.ContainerdSocket(), "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", cid).CombinedOutput(); err != nil {
		t.Fatalf("killing the operator: %v: %s", err, out)
	}
	var secs int
	if _, err := fmt.Sscan(duration, &secs); err != nil {
		t.Fatalf("reading the lease duration %q: %v", duration, err)
	}
	// The kubelet restarts the container; the new process waits out the
	// lease the killed one still holds.
	eventually(t, time.Duration(secs)*time.Second+45*time.Second, "a new leader", func() bool {
		h := holder()
		return h != "" && h != old
	})
	took := time.Since(start)
	t.Logf("leader handover after SIGKILL: %s (lease %ss), %s -> %s", took.Round(time.Second), duration, old, holder())
	fmt.Printf("test/cluster: leader handover after SIGKILL of the operator in %s (lease %ss)\n", took.Round(time.Second), duration)
	kubectl(t, "-n", operatorNS, "rollout", "status", "deployment/tollgate-operator", "--timeout=2m")
	time.Sleep(5 * time.Second) // let the new leader reconcile
	if after := children(t, "default", uid); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("children of main changed across the handover:\nbefore %v\nafter  %v", before, after)
	}
	if n := strings.Count(kubectl(t, "get", "deployments", "-o", "name"), "deployment.apps/main\n"); n != 1 {
		t.Errorf("%d Deployments named main", n)
	}
	for _, args := range [][]string{
		{"-n", operatorNS, "logs", "-l", sel, "--all-containers", "--tail=-1"},
		{"-n", operatorNS, "logs", "-l", sel, "--all-containers", "--tail=-1", "--previous"},
		{"get", "events", "-A", "-o", "custom-columns=NS:.metadata.namespace,OBJ:.involvedObject.name,MSG:.message"},
	} {
		out, _ := kubectlErr(t, args...)
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "forbidden") {
				t.Errorf("forbidden in %s: %s", strings.Join(args, " "), line)
			}
		}
	}
}

// testRedisReplicas runs redis-server on the node address and three
// gateway replicas sharing one TokenPolicy through it: exactly the limit
// passes, however kube-proxy spreads the requests over the pods.
func testRedisReplicas(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed: run hack/install-redis.sh")
	}
	if err := kc.StartProcess("redis", bin, "--bind", cluster.NodeIP, "--port", "6379", "--save", "", "--appendonly", "no", "--protected-mode", "no"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kc.StopProcess("redis") })
	const limit = 12
	applyYAML(t, fmt.Sprintf(`apiVersion: ai.tollgate.dev/v1alpha1
kind: TokenPolicy
metadata: {name: shared, namespace: default}
spec:
  limits:
  - window: 1h
    requests: %d
  onExceeded: Reject
---
apiVersion: ai.tollgate.dev/v1alpha1
kind: AIGateway
metadata: {name: shared, namespace: default}
spec:
  replicas: 3
  providerSelector: {matchLabels: {tollgate.dev/tier: demo}}
  limits:
    store:
      type: Redis
      redis: {addresses: ["%s:6379"]}
    failureMode: Closed
---
apiVersion: ai.tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: shared-user, namespace: default}
spec:
  gateways: [shared]
  credentials: {generate: {}}
  allowedModels: [mock-small]
  tokenPolicies: [shared]
`, limit, cluster.NodeIP))
	kubectl(t, "wait", "--for=condition=Ready", "aigateway/shared", "--timeout=3m")
	eventually(t, 2*time.Minute, "3 ready replicas", func() bool {
		return kubectl(t, "get", "deployment/shared", "-o", "jsonpath={.status.readyReplicas}") == "3"
	})
	key := secretValue(t, "default", "shared-user-key", "apiKey")
	ip := kubectl(t, "get", "service/shared", "-o", "jsonpath={.spec.clusterIP}")
	c := openaiClient("http://"+net.JoinHostPort(ip, "8080"), key)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Wait until every pod knows the key, without spending the limit: a
	// model the key may not use is refused (403) before anything is
	// counted; an unknown key is 401.
	known := 0
	eventually(t, time.Minute, "every replica accepting the new key", func() bool {
		_, err := c.Chat.Completions.New(ctx, chatParams("mock-large", "probe"))
		var apiErr *openai.Error
		if errors.As(err, &apiErr) && apiErr.StatusCode == 403 {
			known++
		} else {
			known = 0
		}
		return known >= 15
	})
	ok, limited := 0, 0
	for i := range 4 * limit {
		_, err := c.Chat.Completions.New(ctx, chatParams("mock-small", fmt.Sprintf("r%d", i)))
		var apiErr *openai.Error
		switch {
		case err == nil:
			ok++
		case errors.As(err, &apiErr) && apiErr.StatusCode == 429:
			limited++
		default:
			t.Fatalf("request %d: %v", i, err)
		}
	}
	t.Logf("3 replicas, one TokenPolicy of %d requests through Redis: %d passed, %d limited", limit, ok, limited)
	if ok != limit || limited != 3*limit {
		t.Errorf("%d passed and %d were limited; want exactly %d and %d (one limit across the pods)", ok, limited, limit, 3*limit)
	}
}

// testNoWarningEvents: no live pod of Tollgate's ever got a Warning (the
// startup probe keeps a new pod's first readiness probe from failing), and
// in steady state — a quiet period after the stages above — nothing Warns
// about Tollgate's objects. The Warnings the samples raise while they are
// applied in one go (a Consumer before its TokenPolicy, a gateway before
// its pods) are transient and stop once everything is Ready. The node's
// own CgroupV1 warning is the machine's.
func testNoWarningEvents(t *testing.T) {
	quiet := time.Now()
	time.Sleep(20 * time.Second)
	var list struct {
		Items []struct {
			Reason        string     `json:"reason"`
			Message       string     `json:"message"`
			LastTimestamp *time.Time `json:"lastTimestamp"`
			EventTime     *time.Time `json:"eventTime"`
			Series        *struct {
				LastObservedTime *time.Time `json:"lastObservedTime"`
			} `json:"series"`
			InvolvedObject struct {
				Kind, Name, Namespace string
			} `json:"involvedObject"`
		} `json:"items"`
	}
	out := kubectl(t, "get", "events", "-A", "--field-selector", "type=Warning", "-o", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	var pods struct {
		Items []struct {
			Metadata struct{ Name, Namespace string } `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(kubectl(t, "get", "pods", "-A", "-o", "json")), &pods); err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	for _, p := range pods.Items {
		live[p.Metadata.Namespace+"/"+p.Metadata.Name] = true
	}
	transient, terminating := 0, 0
	for _, e := range list.Items {
		o := e.InvolvedObject
		if o.Kind == "Node" {
			continue
		}
		var last time.Time
		for _, ts := range []*time.Time{e.LastTimestamp, e.EventTime} {
			if ts != nil && ts.After(last) {
				last = *ts
			}
		}
		if e.Series != nil && e.Series.LastObservedTime != nil && e.Series.LastObservedTime.After(last) {
			last = *e.Series.LastObservedTime
		}
		switch {
		case o.Kind == "Pod" && !live[o.Namespace+"/"+o.Name] && e.Reason == "Unhealthy" &&
			strings.HasPrefix(e.Message, "Readiness probe failed"):
			// The kubelet keeps probing readiness on a terminating pod
			// until it sees the container exit; a probe in the moment
			// between the process closing its listener and the kubelet
			// noticing is refused. Only pods that are gone (rolled or
			// scaled away) are let off, and only for readiness.
			terminating++
			t.Logf("readiness race on terminated pod %s/%s: %s", o.Namespace, o.Name, e.Message)
		case o.Kind == "Pod":
			t.Errorf("Warning %s on Pod %s/%s: %s", e.Reason, o.Namespace, o.Name, e.Message)
		case last.After(quiet):
			t.Errorf("Warning %s on %s %s/%s in steady state (%s): %s", e.Reason, o.Kind, o.Namespace, o.Name, last.Format(time.RFC3339), e.Message)
		default:
			transient++
		}
	}
	t.Logf("%d transient Warnings while the stages applied objects, none in a 20s steady state, none on a live pod (%d readiness races on terminated pods)", transient, terminating)
}
