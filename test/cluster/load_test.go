package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// load is a bounded open-loop load: one request every interval (about 50
// requests/s), every fifth a stream, no client retries, each on its own
// connection to the Service's ClusterIP (kube-proxy picks the pod).
type load struct {
	requests, streams     atomic.Int64
	failures, streamFails atomic.Int64
	mu                    sync.Mutex
	errors                []string
}

func (l *load) fail(err string, streamed bool) {
	if streamed {
		l.streamFails.Add(1)
	} else {
		l.failures.Add(1)
	}
	l.mu.Lock()
	if len(l.errors) < 10 {
		l.errors = append(l.errors, err)
	}
	l.mu.Unlock()
}

func (l *load) String() string {
	return fmt.Sprintf("requests=%d (failed %d) streams=%d (failed or cut %d)",
		l.requests.Load(), l.failures.Load(), l.streams.Load(), l.streamFails.Load())
}

// run sends until ctx ends (bounded by the caller) and waits for every
// request in flight.
func (l *load) run(ctx context.Context, url, key string) {
	c := openaiClient(url, key)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200)
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			l.fail("more than 200 requests in flight", false)
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			// Requests in flight finish even after the load stops.
			rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			prompt := fmt.Sprintf("req %d ok", i)
			if i%5 == 0 {
				l.streams.Add(1)
				got, _, err := stream(rctx, c, "mock-small", prompt)
				if err != nil || got != prompt {
					l.fail(fmt.Sprintf("stream %d: got %q, %v", i, got, err), true)
				}
				return
			}
			l.requests.Add(1)
			resp, err := c.Chat.Completions.New(rctx, chatParams("chat", prompt))
			if err != nil {
				l.fail(fmt.Sprintf("request %d: %v", i, err), false)
			} else if len(resp.Choices) == 0 || resp.Choices[0].Message.Content != prompt {
				l.fail(fmt.Sprintf("request %d: unexpected answer %+v", i, resp.Choices), false)
			}
		}(i)
	}
}

// testRollingUpdate rolls the gateway's two pods (a new image tag and a
// new route in one change) while the load runs, and requires that no
// request failed and no stream was cut, then that the new route is served.
func testRollingUpdate(t *testing.T) {
	applyYAML(t, `apiVersion: ai.tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: load, namespace: default}
spec:
  gateways: [main]
  credentials: {generate: {}}
  allowedModels: ["mock-*", "chat", "chat-rolled"]
`)
	key := secretValue(t, "default", "load-key", "apiKey")
	kubectl(t, "patch", "aigateway/main", "--type=merge", "-p", `{"spec":{"replicas":2}}`)
	eventually(t, 2*time.Minute, "2 ready gateway pods", func() bool {
		return kubectl(t, "get", "deployment/main", "-o", "jsonpath={.status.readyReplicas}") == "2"
	})
	ip := kubectl(t, "get", "service/main", "-o", "jsonpath={.spec.clusterIP}")
	url := "http://" + net.JoinHostPort(ip, "8080")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	warm := openaiClient(url, key)
	eventually(t, time.Minute, "the load consumer's key accepted", func() bool {
		_, err := warm.Chat.Completions.New(ctx, chatParams("chat", "warm up"))
		return err == nil
	})
	cancel()
	rollUnderLoad(t, "main", url, key, RollImage, "rolling update", func() {
		kubectl(t, "patch", "aigateway/main", "--type=json", "-p", `[
	  {"op":"add","path":"/spec/image","value":"`+RollImage+`"},
	  {"op":"add","path":"/spec/routes/-","value":{"model":"chat-rolled","backends":[{"provider":"mock","model":"mock-small"}]}}]`)
	})
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	eventually(t, 30*time.Second, "the new route served after the roll", func() bool {
		resp, err := warm.Chat.Completions.New(ctx, chatParams("chat-rolled", "rolled"))
		return err == nil && resp.Choices[0].Message.Content == "rolled"
	})
}

// rollUnderLoad runs the load against url while change rolls every pod of
// gateway gw to image, and requires that every pod was replaced, no request
// failed and no stream was cut. It prints the counts (what names the roll).
func rollUnderLoad(t *testing.T, gw, url, key, image, what string, change func()) {
	t.Helper()
	before := gatewayPods(t, gw)
	var l load
	loadCtx, stopLoad := context.WithTimeout(context.Background(), 4*time.Minute)
	defer stopLoad()
	done := make(chan struct{})
	go func() { l.run(loadCtx, url, key); close(done) }()
	time.Sleep(3 * time.Second)
	start := time.Now()
	change()
	eventually(t, 3*time.Minute, what+": the roll to "+image, func() bool {
		pods := gatewayPods(t, gw)
		if len(pods) != len(before) {
			return false
		}
		for name, img := range pods {
			if img != image || before[name] != "" {
				return false
			}
		}
		return true
	})
	rolled := time.Since(start)
	time.Sleep(2 * time.Second)
	stopLoad()
	<-done
	t.Logf("%s (%d pods, %s): %s", what, len(before), rolled.Round(time.Second), &l)
	fmt.Printf("test/cluster: %s of %d gateway pods in %s under about 50 req/s: %s\n", what, len(before), rolled.Round(time.Second), &l)
	if l.failures.Load()+l.streamFails.Load() > 0 {
		t.Errorf("%s: requests were lost during the roll: %s\n%s", what, &l, strings.Join(l.errors, "\n"))
	}
	if l.requests.Load() < 200 || l.streams.Load() < 50 {
		t.Errorf("%s: too little load to judge the roll: %s", what, &l)
	}
}

// gatewayPods maps the gateway's running, not terminating pods to their
// image.
func gatewayPods(t testing.TB, gw string) map[string]string {
	t.Helper()
	var list struct {
		Items []struct {
			Metadata struct {
				Name              string  `json:"name"`
				DeletionTimestamp *string `json:"deletionTimestamp"`
			} `json:"metadata"`
			Spec struct {
				Containers []struct {
					Image string `json:"image"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"items"`
	}
	sel := selector(t, "deployment/"+gw)
	out := kubectl(t, "get", "pods", "-l", sel, "-o", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	pods := map[string]string{}
	for _, p := range list.Items {
		if p.Metadata.DeletionTimestamp == nil && len(p.Spec.Containers) > 0 {
			pods[p.Metadata.Name] = p.Spec.Containers[0].Image
		}
	}
	return pods
}

// selector is a workload's label selector as a -l argument.
func selector(t testing.TB, workload string, ns ...string) string {
	t.Helper()
	args := append(nsArgs(ns), "get", workload, "-o", "jsonpath={.spec.selector.matchLabels}")
	var labels map[string]string
	if err := json.Unmarshal([]byte(kubectl(t, args...)), &labels); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for k, v := range labels {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func nsArgs(ns []string) []string {
	if len(ns) == 0 {
		return nil
	}
	return []string{"-n", ns[0]}
}
