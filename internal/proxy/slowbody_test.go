package proxy

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Issue 12 item 3: connections without a key that send a partial body and
// then nothing get their 401 at once and are closed, and 60 of them do
// not keep a normal request from being served.
func TestSlowBodyWithoutKey(t *testing.T) {
	cfg, key, _ := mockConfig(t)
	cfg.Server.ReadHeaderTimeout = config.D(time.Second)
	cfg.Server.ReadTimeout = config.D(2 * time.Second)
	cfg.Server.MaxInFlight = 20
	g := startGateway(t, cfg)
	addr := strings.TrimPrefix(g.url, "http://")
	const n = 60
	var wg sync.WaitGroup
	results := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				results <- "dial: " + err.Error()
				return
			}
			defer conn.Close()
			auth := ""
			if i%2 == 1 {
				auth = "Authorization: Bearer tg-wrong-key\r\n"
			}
			path := []string{"/v1/chat/completions", messagesPath, countTokensPath}[i%3]
			if _, err := io.WriteString(conn, "POST "+path+" HTTP/1.1\r\nHost: x\r\n"+auth+
				"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"model\":\"m\","); err != nil {
				results <- "write: " + err.Error()
				return
			}
			// The bound: the configured read timeout, plus slack for a
			// loaded machine. Reading to EOF means the server closed.
			_ = conn.SetReadDeadline(time.Now().Add(cfg.Server.ReadTimeout.Duration + 5*time.Second))
			got, err := io.ReadAll(conn)
			switch {
			case err != nil:
				results <- "not closed: " + err.Error()
			case !strings.HasPrefix(string(got), "HTTP/1.1 401"):
				results <- "answer: " + string(got)
			default:
				results <- ""
			}
		}()
	}
	// While they are open, a normal request is served.
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
	if b := readAll(t, resp); resp.StatusCode != 200 {
		t.Errorf("a normal request was not served: %d %s", resp.StatusCode, b)
	}
	wg.Wait()
	close(results)
	for r := range results {
		if r != "" {
			t.Error(r)
		}
	}
}
