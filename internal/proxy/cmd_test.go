package proxy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/tollgate-dev/tollgate/internal/config"
)

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Main serves examples/mock.yaml, answers with the demo key, and drains
// when its context ends.
func TestMainServesExample(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"--config", "../../examples/mock.yaml", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"},
			&lockedWriter{w: pw}, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no serving line: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	addr := strings.Fields(line)[4]
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
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Main: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Main did not return after cancel")
	}
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
