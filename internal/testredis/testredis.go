// Package testredis starts a real, throw-away redis-server for tests: Debian's
// binary on 127.0.0.1 and a free port, with no persistence, stopped when the
// test ends. Install it with hack/install-redis.sh.
package testredis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds the wait for a fresh server to answer PING.
const startTimeout = 10 * time.Second

// Options configure a server.
type Options struct {
	// Password, when set, is required from clients (requirepass).
	Password string
	// Cluster starts the server as a Redis Cluster node (StartCluster
	// joins the nodes).
	Cluster bool
	// ReplicaOf starts the server as a replica of this host:port.
	ReplicaOf string
	// SentinelOf starts a Sentinel (redis-server --sentinel) monitoring
	// the master at this host:port as SentinelMaster, quorum 2.
	SentinelOf string
}

// Server is one running redis-server process.
type Server struct {
	// Addr is host:port on 127.0.0.1.
	Addr string

	t    testing.TB
	bin  string
	opts Options
	dir  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	paused bool
}

// Start starts a redis-server or fails the test, with a clear message when
// the binary is not installed. The server is killed at cleanup.
func Start(t testing.TB, opts ...Options) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed (needed by tests against a real Redis): run hack/install-redis.sh")
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	if len(opts) > 0 {
		s.opts = opts[0]
	}
	var lastErr error
	for range 5 { // the free port can be taken between probe and bind
		port, err := freePort()
		if err != nil {
			t.Fatalf("testredis: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.cleanup)
			return s
		}
	}
	t.Fatalf("testredis: starting redis-server: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs the process on s.Addr and waits for PING.
func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	args := []string{
		"--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no",
		"--dir", s.dir, "--daemonize", "no", "--logfile", "",
		"--protected-mode", "yes",
	}
	if s.opts.Password != "" {
		args = append(args, "--requirepass", s.opts.Password)
	}
	if h, p, ok := strings.Cut(s.opts.ReplicaOf, ":"); ok {
		args = append(args, "--replicaof", h, p)
	}
	if s.opts.SentinelOf != "" {
		conf, err := s.sentinelConf()
		if err != nil {
			return err
		}
		args = []string{conf, "--sentinel", "--bind", "127.0.0.1", "--port", port, "--dir", s.dir,
			"--daemonize", "no", "--logfile", "", "--protected-mode", "no"}
	}
	if s.opts.Cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", "nodes-"+port+".conf",
			"--cluster-node-timeout", "2000")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done, s.paused = cmd, done, false
	s.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited at start (port %s taken?)", port)
		default:
		}
		if err := s.ping(); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server did not answer PING within %s: %w", startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping sends one PING (authenticating first when a password is set).
func (s *Server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	cmd := "PING\r\n"
	if s.opts.Password != "" {
		cmd = fmt.Sprintf("*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(s.opts.Password), s.opts.Password) + cmd
	}
	if _, err := c.Write([]byte(cmd)); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(line, "+PONG"):
			return nil
		case strings.HasPrefix(line, "-"):
			return fmt.Errorf("redis answered an error: %s", strings.TrimSpace(line))
		}
	}
}

// Kill stops the server with SIGKILL and waits for it to exit.
func (s *Server) Kill() {
	s.t.Helper()
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	s.mu.Lock()
	s.cmd = nil
	s.mu.Unlock()
}

// Restart starts a fresh, empty server on the same address after Kill.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	var err error
	for range 50 { // the port may linger for a moment after the kill
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("testredis: restarting redis-server on %s: %v", s.Addr, err)
}

// Pause freezes the process (SIGSTOP): connections stay open and hang.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP, true) }

// Resume thaws a paused process (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT, false) }

func (s *Server) signal(sig syscall.Signal, paused bool) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.t.Fatalf("testredis: %v sent to a server that is not running", sig)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("testredis: sending %v: %v", sig, err)
	}
	s.paused = paused
}

func (s *Server) cleanup() {
	s.mu.Lock()
	cmd, done, paused := s.cmd, s.done, s.paused
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	if paused {
		_ = cmd.Process.Signal(syscall.SIGCONT)
	}
	_ = cmd.Process.Signal(os.Kill)
	<-done
}
