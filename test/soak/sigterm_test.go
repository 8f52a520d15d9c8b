package soak

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
)

// proxyEnv makes this test binary run `tollgate proxy` (proxy.Main, what
// the tollgate binary's proxy command runs) with its arguments, so the
// SIGTERM test drives a real process without building the binary.
const proxyEnv = "TOLLGATE_SOAK_RUN_PROXY"

func TestMain(m *testing.M) {
	if os.Getenv(proxyEnv) == "1" {
		if err := proxy.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "proxy:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var servingRE = regexp.MustCompile(`serving on (\S+) \(metrics (\S+)\)`)

// TestSIGTERMWithStreamsInFlight sends SIGTERM to a proxy process with 100
// streams open (TESTING row 28): readiness fails at once, the streams that
// end within the drain timeout end normally, the others get a terminal
// error event, and the process exits by itself well inside a pod's grace
// period.
func TestSIGTERMWithStreamsInFlight(t *testing.T) {
	const (
		drain = 3 * time.Second
		gap   = 100 * time.Millisecond
	)
	short := serve(t, mockUpstream(15, gap)) // 1.5s: ends inside the drain
	long := serve(t, mockUpstream(300, gap)) // 30s: cut by the drain
	k := newKeys(t)
	cfg := soakConfig(t, short, k, drain)
	cfg.Providers = append(cfg.Providers, config.Provider{Name: "long", Type: config.ProviderOpenAICompatible,
		Endpoint: long + "/ok/v1", AllowPrivateNetwork: true})
	cfg.Routes = append(cfg.Routes, config.Route{Model: "long", Backends: []config.Backend{{Provider: "long", UpstreamModel: "m", Weight: new(1)}}})
	data, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "gw.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "--config", file, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--log-level", "warn")
	cmd.Env = append(os.Environ(), proxyEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := servingRE.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("the proxy did not report its address: %q %v", line, err)
	}
	url, metrics := "http://"+m[1], "http://"+m[2]

	// 100 streams: 50 short, 50 long; wait until each has its first chunk.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	var started, shortDone atomic.Int64
	results := make(chan string, 100)
	var wg sync.WaitGroup
	for i := range 100 {
		model := "ok"
		if i%2 == 1 {
			model = "long"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- model + ": " + readStream(client, url, k.free, model, &started, &shortDone)
		}()
	}
	for i := 0; started.Load() < 100; i++ {
		if i == 500 { // bounded: 500 × 10ms
			t.Fatalf("only %d of 100 streams started", started.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	term := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	notReady := false
	for range 200 { // bounded: 200 × 5ms
		resp, err := http.Get(metrics + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				notReady = true
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !notReady {
		t.Error("/readyz did not fail after SIGTERM")
	} else if n := shortDone.Load(); n > 0 {
		t.Errorf("/readyz failed only after %d streams had ended, not at once", n)
	}
	wg.Wait()
	close(results)
	for r := range results {
		model, outcome, _ := strings.Cut(r, ": ")
		if (model == "ok" && outcome != "done") || (model == "long" && outcome != "gateway_shutdown") {
			t.Errorf("%s stream ended with %q", model, outcome)
		}
	}
	// A pod's default grace period is 30s; the drain (3s) and its 2s grace
	// for cut streams fit well inside.
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Errorf("the proxy exited with %v", err)
		}
		t.Logf("exited %s after SIGTERM (drain timeout %s)", time.Since(term).Round(time.Millisecond), drain)
	case <-time.After(30 * time.Second):
		t.Fatal("the proxy had not exited 30s after SIGTERM (a pod would be killed)")
	}
}

// readStream reads one stream and says how it ended: "done" ([DONE]),
// the code of a terminal error event, or what went wrong.
func readStream(client *http.Client, url, key, model string, started, shortDone *atomic.Int64) string {
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"hello"}],"stream":true}`, model)
	req, err := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return "request failed: " + err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("status %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	first := true
	var last string
	for {
		line, err := br.ReadString('\n')
		if strings.HasPrefix(line, "data: ") {
			if first {
				first = false
				started.Add(1)
			}
			last = strings.TrimSpace(line)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "read failed: " + err.Error()
		}
	}
	switch {
	case last == "data: [DONE]":
		if model == "ok" {
			shortDone.Add(1)
		}
		return "done"
	case strings.Contains(last, `"gateway_shutdown"`):
		return "gateway_shutdown"
	}
	return "ended with " + last
}
