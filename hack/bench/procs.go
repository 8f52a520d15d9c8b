package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/test/loadupstream"
)

// proc is one server the benchmark runs as its own process, so its CPU
// time and memory are its own: the mock upstream, the bare reverse proxy
// (this program re-executed) and tollgate (the real binary).
type proc struct {
	name    string
	cmd     *exec.Cmd
	url     string // client listener
	metrics string // tollgate's metrics listener, "" otherwise
	done    chan struct{}
	waitErr error         // how it exited, set before done is closed
	stderr  *tailBuffer   // the end of its stderr, where it is kept
	lastCPU time.Duration // the last CPU time read, kept once it has exited
}

// exited says whether the process ended before the benchmark stopped it,
// and how.
func (p *proc) exited() (string, bool) {
	select {
	case <-p.done:
	default:
		return "", false
	}
	how := "exit status 0"
	if p.waitErr != nil {
		how = p.waitErr.Error()
	}
	if p.stderr != nil {
		if t := strings.TrimSpace(p.stderr.String()); t != "" {
			how += "; the end of its stderr:\n\n    " + strings.ReplaceAll(t, "\n", "\n    ")
		}
	}
	return how, true
}

// tailBuffer keeps the last tailBytes written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

const tailBytes = 2048

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, b...)
	if len(t.b) > tailBytes {
		t.b = append(t.b[:0], t.b[len(t.b)-tailBytes:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

var servingRE = regexp.MustCompile(`serving on (\S+) \(metrics (\S+)\)`)

// startProc runs bin with args and waits (up to 20s) for its first stdout
// line naming its address: "listening on ADDR" from this program's server
// modes, "serving on ADDR (metrics ADDR)" from tollgate proxy.
func startProc(name, bin string, args ...string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = nil // the access log goes to /dev/null (it is still encoded)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.waitErr = cmd.Wait(); close(p.done) }()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case line, ok := <-lines:
		if m := servingRE.FindStringSubmatch(line); m != nil {
			p.url, p.metrics = "http://"+m[1], "http://"+m[2]
			return p, nil
		}
		if addr, found := strings.CutPrefix(line, "listening on "); ok && found {
			p.url = "http://" + addr
			return p, nil
		}
		p.stop()
		return nil, fmt.Errorf("%s did not report its address (first line %q)", name, line)
	case <-time.After(20 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not start within 20s", name)
	}
}

// stop sends SIGTERM, then kills after 5s.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// cpu is the process's user+system CPU time so far (/proc/PID/stat, the
// figures getrusage reports once it has exited). Once the process is gone
// it is the last figure read, so a turn it died in is not charged a
// negative time.
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return p.lastCPU
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return p.lastCPU
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	p.lastCPU = time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
	return p.lastCPU
}

// rss is the process's resident set size in bytes.
func (p *proc) rss() int64 { return p.status("VmRSS:") }

// rssAnon is the private part of the RSS (RssAnon: heap, stacks, the
// runtime's own). The rest is the binary's pages mapped from the page
// cache, shared and reclaimable, and their count depends on how the file
// came into the cache: the same binary measured 67 MiB idle just after
// `go build` and 58 MiB after a `cp` of it, 9 MiB private in both.
func (p *proc) rssAnon() int64 { return p.status("RssAnon:") }

// status reads one kB figure of /proc/PID/status, in bytes.
func (p *proc) status(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// gauge reads one unlabelled series from tollgate's /metrics.
func (p *proc) gauge(name string) float64 {
	if p.metrics == "" {
		return 0
	}
	resp, err := http.Get(p.metrics + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// copyBinary copies the executable src to dst (as cp does).
func copyBinary(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("copying %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return "", fmt.Errorf("copying %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return "", fmt.Errorf("copying %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return "", fmt.Errorf("copying %s: %w", src, err)
	}
	return dst, nil
}

// buildTollgate compiles ./cmd/tollgate into dir.
func buildTollgate(dir string) (string, error) {
	bin := filepath.Join(dir, "tollgate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/tollgate")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/tollgate (run from the repository root): %w: %s", err, stderr.String())
	}
	return bin, nil
}

// startTollgate writes cfg to dir and runs `tollgate proxy --config` on
// 127.0.0.1 with free ports.
func startTollgate(bin, dir, name string, cfg *config.Config) (*proc, error) {
	// The contract wants a real port: take two free ones (released just
	// before tollgate binds them).
	for _, addr := range []*string{&cfg.Listener.Address, &cfg.Listener.MetricsAddress} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("%s: a free port: %w", name, err)
		}
		*addr = ln.Addr().String()
		_ = ln.Close()
	}
	data, err := config.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s config: %w", name, err)
	}
	file := filepath.Join(dir, strings.NewReplacer(" ", "-", "(", "", ")", "", "+", "").Replace(name)+".json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return nil, fmt.Errorf("%s config: %w", name, err)
	}
	return startProc(name, bin, "proxy", "--config", file)
}

// serveMode runs this program as one of the benchmark's servers (mode
// "upstream" or "bare TARGET") until SIGTERM: it prints its address, then
// serves.
func serveMode(ctx context.Context, mode string, chunks int, gap time.Duration) error {
	var h http.Handler
	switch kind, target, _ := strings.Cut(mode, " "); kind {
	case "upstream":
		h = loadupstream.Handler(chunks, gap)
	case "sink":
		// An OTLP/HTTP endpoint that takes every export and keeps nothing:
		// the traced contender's collector.
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-protobuf")
		})
	case "bare":
		u, err := url.Parse(target)
		if err != nil {
			return fmt.Errorf("bare proxy target: %w", err)
		}
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.Transport = &http.Transport{MaxIdleConnsPerHost: 1024}
		h = rp
	default:
		return errors.New("unknown -serve mode " + mode)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = hs.Close() }()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}
