package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// startMain runs Main on the config file, on loopback ports, until stop:
// it returns the address its serving line names, and stop ends Main's
// context and waits for it to return without an error.
func startMain(t *testing.T, file string) (addr string, stop func()) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"--config", file, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"}, &syncWriter{w: pw}, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no serving line: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return strings.Fields(line)[4], func() {
		t.Helper()
		cancel()
		returned(t, done, "Main")
	}
}

// Main serves examples/mock.yaml, answers with the demo key, and drains
// when its context ends.
func TestMainServesExample(t *testing.T) {
	addr, stop := startMain(t, "../../examples/mock.yaml")
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/chat/completions",
		strings.NewReader(`{"model":"mock-small","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer tg-demo_tollgatedemokeynotforproduction")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"content":"hi"`) {
		t.Errorf("status %d body %s", resp.StatusCode, body)
	}
	stop()
}

func TestMainFlags(t *testing.T) {
	for name, args := range map[string][]string{
		"neither":     {},
		"both":        {"--config", "x", "--config-secret", "a/b"},
		"bad secret":  {"--config-secret", "nope", "--kubeconfig", os.DevNull},
		"bad file":    {"--config", "/nonexistent/gw.yaml"},
		"bad logging": {"--config", "x", "--log-level", "loud"},
	} {
		if err := Main(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// The Secret source applies the config on start and on every change.
func TestSecretSourceWatch(t *testing.T) {
	cfg, _ := baseConfig(t, []config.Provider{{Name: "p", Type: config.ProviderMock}}, config.Backend{Provider: "p"})
	doc := func(name string) []byte {
		c := *cfg
		c.Gateway.Name = name
		b, _ := config.Marshal(&c)
		return b
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "gw-config"}, Data: map[string][]byte{config.SecretKey: doc("one")}}
	cs := fake.NewSimpleClientset(sec)
	src := &SecretSource{Client: cs, Namespace: "ns", Name: "gw-config"}
	s := New(Options{Logger: discardLogger()})
	data, _, err := src.Get(context.Background())
	if err != nil || s.LoadBytes(data) != nil {
		t.Fatalf("get: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go src.Watch(ctx, discardLogger(), func(b []byte) error { return s.LoadBytes(b) })
	time.Sleep(100 * time.Millisecond) // let the watch start; a missed event is re-listed anyway
	sec.Data[config.SecretKey] = doc("two")
	if _, err := cs.CoreV1().Secrets("ns").Update(context.Background(), sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "secret change applied", func() bool { return s.Config().Gateway.Name == "two" })
	if !bytes.Contains(doc("two"), []byte(`"two"`)) {
		t.Fatal("fixture")
	}
}

// Main wires the activity log into the console: an admin key ranks the
// consumers' requests on /console/api/rankings.
func TestMainConsoleReadsTheActivityLog(t *testing.T) {
	user, ku := newKey(t)
	admin, ka := newKey(t)
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "main-console"},
		Auth:      config.Auth{Mode: config.AuthAPIKey},
		Providers: []config.Provider{{Name: "mock", Type: config.ProviderMock, Mock: &config.MockSettings{Reply: "hi"}}},
		Models:    []config.Model{{Name: "m", Provider: "mock"}},
		Consumers: []config.Consumer{{Name: "team-a", Keys: []config.Key{ku}}},
		Console:   config.Console{Enabled: true, AdminKeys: []config.Key{ka}},
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/gateway.json"
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	addr, stop := startMain(t, file)
	base := "http://" + addr
	call := func(method, path, key, body string, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readAll(t, resp)
	}
	if c, body := call(http.MethodPost, "/v1/chat/completions", user, `{"model":"m","messages":[{"role":"user","content":"x"}]}`, map[string]string{"X-Title": "Acme"}); c != http.StatusOK {
		t.Fatalf("chat: %d %s", c, body)
	}
	// The in-memory log stores at once; the ranking reads it.
	if c, body := call(http.MethodGet, "/console/api/rankings?by=consumer&period=day", admin, "", nil); c != http.StatusOK || !strings.Contains(body, `"key":"team-a","requests":1`) {
		t.Errorf("admin rankings: %d %s", c, body)
	}
	if c, body := call(http.MethodGet, "/console/api/activity?app=Acme", admin, "", nil); c != http.StatusOK || !strings.Contains(body, `"consumer":"team-a"`) {
		t.Errorf("admin activity: %d %s", c, body)
	}
	stop()
}
