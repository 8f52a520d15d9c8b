package testredis

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestLifecycle(t *testing.T) {
	s := Start(t, Options{Password: "pw"})
	if host, _, _ := net.SplitHostPort(s.Addr); host != "127.0.0.1" {
		t.Fatalf("server listens on %s, want 127.0.0.1", s.Addr)
	}
	if err := s.ping(); err != nil {
		t.Fatalf("ping: %v", err)
	}
	wrong := &Server{Addr: s.Addr, opts: Options{Password: "nope"}}
	if err := wrong.ping(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("ping with a wrong password = %v, want WRONGPASS", err)
	}

	s.Pause()
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		t.Fatalf("a paused server still accepts connections in the kernel: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write([]byte("PING\r\n"))
	if _, err := c.Read(make([]byte, 16)); err == nil {
		t.Error("a paused server answered")
	}
	c.Close()
	s.Resume()
	if err := s.ping(); err != nil {
		t.Fatalf("ping after resume: %v", err)
	}

	s.Kill()
	if err := s.ping(); err == nil {
		t.Fatal("a killed server answered")
	}
	s.Restart()
	if err := s.ping(); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
}
