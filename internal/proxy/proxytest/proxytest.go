// Package proxytest serves the real proxy on 127.0.0.1 for the suites
// outside internal/proxy that drive a gateway end to end (test/sdk,
// test/agents, test/console).
package proxytest

import (
	"net/http/httptest"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
)

// Serve loads cfg into s and serves s on an httptest server wired as
// `tollgate proxy` wires its listener (Server.HTTPServer: the header
// timeout, the base context and the error log). The server and s are
// closed when t ends.
func Serve(t testing.TB, s *proxy.Server, cfg *config.Config) *httptest.Server {
	t.Helper()
	if err := s.Load(cfg); err != nil {
		t.Fatalf("loading the gateway config: %v", err)
	}
	t.Cleanup(s.Close)
	ts := httptest.NewUnstartedServer(s)
	hs := s.HTTPServer(cfg)
	ts.Config.ReadHeaderTimeout = hs.ReadHeaderTimeout
	ts.Config.BaseContext = hs.BaseContext
	ts.Config.ErrorLog = hs.ErrorLog
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// Key makes a consumer key and its config entry.
func Key(t testing.TB) (string, config.Key) {
	t.Helper()
	k, err := apikey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k, config.Key{ID: apikey.ID(k), SHA256: apikey.Hash(k)}
}
