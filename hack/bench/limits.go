package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// generousPolicy limits requests, tokens and spend far above what the
// benchmark sends, so every check runs and nothing is denied.
var generousPolicy = config.Policy{Name: "bench",
	Limits: []config.Limit{
		{Window: config.D(time.Minute), Requests: 1 << 40, Tokens: 1 << 50},
		{Window: config.D(24 * time.Hour), Tokens: 1 << 55, Models: []string{"m*"}},
	},
	Budget:              &config.Budget{AmountUSD: 1e9, Window: config.BudgetMonth},
	MaxTokensPerRequest: 4096,
}

// localLimits applies the policy with counters in process.
func localLimits(c *config.Config) {
	c.Policies = []config.Policy{generousPolicy}
	c.Consumers[0].Policies = []string{generousPolicy.Name}
}

// redisLimits applies the policy with counters in the Redis at addr.
func redisLimits(addr string) func(*config.Config) {
	return func(c *config.Config) {
		localLimits(c)
		c.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
			Redis: &config.Redis{Addresses: []string{addr}, Timeout: config.D(time.Second)}}
	}
}

// redisServer is a throw-away redis-server on 127.0.0.1 with no
// persistence, killed by stop.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	dir  string
}

func startRedis() (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server is not installed (hack/install-redis.sh)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("finding a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	dir, err := os.MkdirTemp("", "tollgate-bench-redis")
	if err != nil {
		return nil, fmt.Errorf("redis directory: %w", err)
	}
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--logfile", "")
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting redis-server: %w", err)
	}
	rs := &redisServer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, dir: dir}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ping(rs.addr) == nil {
			return rs, nil
		}
	}
	rs.stop()
	return nil, errors.New("redis-server did not answer PING within 10s")
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected answer %q", line)
	}
	return nil
}

func (rs *redisServer) stop() {
	_ = rs.cmd.Process.Kill()
	_ = rs.cmd.Wait()
	_ = os.RemoveAll(rs.dir)
}
