package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// portkeyVersion pins the Portkey gateway (npm @portkey-ai/gateway) that
// -portkey installs under bin/portkey on first use.
const portkeyVersion = "1.15.2"

// portkeyHonoServer pins the @hono/node-server that Portkey runs on. Its
// own range (^1.3.3) resolves to 1.19.x, whose light Response keeps the
// upstream fetch answer's immutable headers when a Response is built from
// it, so every streamed answer failed in Portkey's updateHeaders with
// "TypeError: immutable" (500 "Something went wrong"; Portkey-AI/gateway
// issue 1550). honojs/node-server pull 382 fixed it in the 2.x line; an npm
// override installs that line under Portkey, and its streams then work.
const portkeyHonoServer = "2.1.8"

// portkeyManifest is the package.json of the install directory: the
// override above, nothing else.
var portkeyManifest = `{"name":"tollgate-bench-portkey","private":true,"overrides":{"@hono/node-server":"` + portkeyHonoServer + `"}}` + "\n"

// peerHeaders are the extra request headers a contender needs, by its
// URL: Portkey is told the provider and the upstream per request.
var peerHeaders = map[string]http.Header{}

// setPeerHeaders adds a contender's extra headers to req.
func setPeerHeaders(req *http.Request, url string) {
	for k, v := range peerHeaders[url] {
		req.Header[k] = v
	}
}

// portkeyDir is where the pinned Portkey gateway is installed: bin/portkey
// of the module root (the working directory of `make bench`).
func portkeyDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	return filepath.Join(wd, "bin", "portkey", portkeyVersion+"-hono-"+portkeyHonoServer), nil
}

// installPortkey runs `npm install` of the pinned version into bin/portkey
// unless it is there already, and returns its start script.
func installPortkey() (string, error) {
	dir, err := portkeyDir()
	if err != nil {
		return "", err
	}
	script := filepath.Join(dir, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js")
	if _, err := os.Stat(script); err == nil {
		return script, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("-portkey needs npm (Node 20+) on PATH")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(portkeyManifest), 0o644); err != nil {
		return "", fmt.Errorf("writing the Portkey install's package.json: %w", err)
	}
	cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "@portkey-ai/gateway@"+portkeyVersion)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install @portkey-ai/gateway@%s: %w", portkeyVersion, err)
	}
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("npm installed no %s: %w", script, err)
	}
	return script, nil
}

// loopbackOnly is a Node preload that makes a listen without a host (what
// Portkey's start script does: every interface) listen on 127.0.0.1.
var loopbackOnly = "data:text/javascript," + url.PathEscape(`import net from "node:net";`+
	`const listen = net.Server.prototype.listen;`+
	`net.Server.prototype.listen = function (...a) {`+
	`if (typeof a[0] === "number" && (a[1] === undefined || typeof a[1] === "function")) a.splice(1, a[1] === undefined ? 1 : 0, "127.0.0.1");`+
	`return listen.apply(this, a); };`)

// startPortkey starts the Portkey gateway (headless, no UI) on a free
// 127.0.0.1 port in front of the mock upstream at up, and registers the
// headers that route each request to it as an OpenAI provider.
func startPortkey(up string) (*proc, error) {
	script, err := installPortkey()
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("-portkey needs node on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("finding a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command(node, "--import", loopbackOnly, script, "--port="+strconv.Itoa(port), "--headless")
	// NODE_ENV=production: no log UI, no console spinner.
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	p := &proc{name: "portkey " + portkeyVersion, cmd: cmd, done: make(chan struct{}), stderr: &tailBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting portkey: %w", err)
	}
	go func() { p.waitErr = cmd.Wait(); close(p.done) }()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			break
		}
		select {
		case <-p.done:
			return nil, errors.New("portkey exited before it listened")
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, errors.New("portkey did not listen within 30s")
		}
	}
	p.url = "http://" + addr
	peerHeaders[p.url] = http.Header{
		"X-Portkey-Provider":    {"openai"},
		"X-Portkey-Custom-Host": {up + "/v1"},
	}
	return p, nil
}
