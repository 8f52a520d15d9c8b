package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// generousPolicy limits requests, tokens and spend far above what the
// benchmark sends, so every check runs and nothing is denied.
var generousPolicy = config.Policy{Name: "bench",
	Limits: []config.Limit{
		{Window: config.D(time.Minute), Requests: 1 << 40, Tokens: 1 << 50},
		{Window: config.D(24 * time.Hour), Tokens: 1 << 55, Models: []string{"m*"}},
	},
	Budget:              &config.Budget{AmountUSD: 1e8, Window: config.BudgetMonth},
	MaxTokensPerRequest: 4096,
}

// limitedConfig is the full pipeline: key auth, a route over two weighted
// backends (two providers on the same upstream), the generous policy,
// metrics and access logs; counters in the Redis at redisAddr when set,
// else in process.
func limitedConfig(up, key string, redisAddr *string) *config.Config {
	p := func(name string) config.Provider {
		return config.Provider{Name: name, Type: config.ProviderOpenAI, Endpoint: up + "/v1", APIKey: "sk-bench", AllowPrivateNetwork: true}
	}
	c := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "bench", Namespace: "bench"},
		Auth:      config.Auth{Mode: config.AuthAPIKey},
		Providers: []config.Provider{p("a"), p("b")},
		Models:    []config.Model{{Name: "m", Provider: "a", Pricing: config.Pricing{InputPerMillion: 1, OutputPerMillion: 2}}},
		Routes: []config.Route{{Model: "m", Backends: []config.Backend{
			{Provider: "a", UpstreamModel: "m", Weight: new(3)}, {Provider: "b", UpstreamModel: "m", Weight: new(1)}}}},
		Policies: []config.Policy{generousPolicy},
		Consumers: []config.Consumer{{Name: "bench", AllowedModels: []string{"m*"}, Policies: []string{generousPolicy.Name},
			Keys: []config.Key{{ID: apikey.ID(key), SHA256: apikey.Hash(key)}}}},
	}
	if redisAddr != nil {
		c.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
			Redis: &config.Redis{Addresses: []string{*redisAddr}, Timeout: config.D(time.Second)}}
	}
	c.Default()
	return c
}

// tracedConfig is limitedConfig (local counters) with every request traced
// (sampling ratio 1) and exported over OTLP/HTTP to the sink at sink.
func tracedConfig(up, key, sink string) *config.Config {
	c := limitedConfig(up, key, nil)
	one := 1.0
	c.Telemetry = config.Telemetry{Tracing: &config.Tracing{Endpoint: sink, Protocol: config.OTLPHTTP, SamplingRatio: &one}}
	c.Default()
	return c
}

// redisServer is a throw-away redis-server on 127.0.0.1 with no
// persistence, killed by stop.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	dir  string
}

// redisVersion is `redis-server --version`, or why it is unknown.
func redisVersion() string {
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		return "redis-server not installed"
	}
	return strings.TrimSpace(string(out))
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

// commandStats returns redis-server's per-command figures (INFO
// commandstats: calls, usec_per_call) for the scripts and pipelines the
// limits store sends.
func commandStats(addr string) []string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("INFO commandstats\r\n")); err != nil {
		return nil
	}
	br := bufio.NewReader(c)
	head, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil {
		return nil
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(buf), "\r\n") {
		if strings.HasPrefix(line, "cmdstat_evalsha:") || strings.HasPrefix(line, "cmdstat_eval:") {
			out = append(out, line)
		}
	}
	return out
}

// scriptCalls is how many scripts (EVALSHA and EVAL) redis-server has run.
func scriptCalls(addr string) int64 {
	var n int64
	for _, line := range commandStats(addr) {
		_, rest, _ := strings.Cut(line, "calls=")
		v, _, _ := strings.Cut(rest, ",")
		c, _ := strconv.ParseInt(v, 10, 64)
		n += c
	}
	return n
}

// cpu is redis-server's CPU time so far.
func (rs *redisServer) cpu() time.Duration { return (&proc{cmd: rs.cmd}).cpu() }
