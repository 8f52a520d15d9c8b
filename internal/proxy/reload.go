package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Load builds everything a config needs (auth index, routes, adapters,
// transports) and then publishes it with one atomic swap. Requests already
// running finish on the snapshot they started with. The config is copied,
// defaulted and validated first (config.Default and config.Validate, as on
// every load), so a config the contract refuses changes nothing: the
// previous config keeps serving, and the failure is logged and counted.
func (s *Server) Load(cfg *config.Config) error {
	data, err := config.Marshal(cfg)
	if err != nil {
		return s.loadFailed(err)
	}
	return s.LoadBytes(data)
}

// LoadBytes parses, defaults, validates and loads a config document (JSON
// or YAML): the one path of the file, SIGHUP and Secret watch reloads.
func (s *Server) LoadBytes(data []byte) error {
	cfg, err := config.Parse(data)
	if err != nil {
		return s.loadFailed(err)
	}
	norm, err := config.Marshal(cfg)
	if err != nil {
		return s.loadFailed(err)
	}
	return s.load(cfg, config.Hash(norm))
}

// LoadParts serves a sharded root with its shards' consumers, shards[id]
// being the consumers of the shard the root names by id (checked against
// its hash by config.ParseShard; LoadParts keeps the slices and never
// modifies them, nor may the caller afterwards). It is loaded under hash,
// the stored root's hash (what the operator reports as the AIGateway's
// status.configHash: the root names every shard by hash).
//
// The consumers are checked and built a shard at a time and kept per
// shard (shardbuild.go): a swap rebuilds only the shards whose hash
// changed, or every shard when what their build reads of the root did.
// A config refused that way is assembled whole (config.Assemble defaults
// and validates it) and built as Load builds one, so every config gets the
// answer, and a refused one the message, of a whole load.
func (s *Server) LoadParts(root *config.Config, shards map[string][]config.Consumer, hash string) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	cur := s.snap.Load()
	if cur != nil && cur.hash == hash {
		return nil
	}
	var prev *shardState
	if cur != nil {
		prev = cur.parts
	}
	cfg, parts, err := assembleShards(root, shards, prev)
	if err != nil {
		parts = nil
		if cfg, err = config.Assemble(root, shards); err != nil {
			return s.loadFailed(err)
		}
	}
	return s.swap(cfg, hash, cur, parts)
}

func (s *Server) load(cfg *config.Config, hash string) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	cur := s.snap.Load()
	if cur != nil && cur.hash == hash {
		return nil
	}
	return s.swap(cfg, hash, cur, nil)
}

// swap builds cfg and publishes it in place of cur; s.reloadMu is held.
func (s *Server) swap(cfg *config.Config, hash string, cur *snapshot, parts *shardState) error {
	sn, err := s.build(cfg, hash, cur, parts)
	if err != nil {
		return s.loadFailed(err)
	}
	s.useActivity(cfg)
	s.snap.Store(sn)
	if cur != nil {
		cur.retire()
	}
	s.pruneTransports(cfg)
	s.retainWindows(sn)
	s.m.Reloads.Inc()
	s.m.SetConfigHash(hash)
	attrs := []any{slog.String("hash", hash), slog.String("gateway", cfg.Gateway.Name),
		slog.Int("providers", len(cfg.Providers)), slog.Int("routes", len(cfg.Routes)), slog.Int("consumers", len(cfg.Consumers))}
	if parts != nil {
		attrs = append(attrs, slog.Int("consumers_built", parts.built), slog.Int("consumers_reused", parts.reused))
	}
	s.log.Info("config loaded", attrs...)
	return nil
}

func (s *Server) loadFailed(err error) error {
	s.m.ReloadFailures.Inc()
	// Config errors name fields and values, never secrets: config.Validate
	// and the adapters' factories do not print keys.
	s.log.Error("config refused; the previous config keeps serving", slog.String("error", err.Error()))
	return fmt.Errorf("loading config: %w", err)
}

// Config returns the config being served, or nil.
func (s *Server) Config() *config.Config {
	if sn := s.snap.Load(); sn != nil {
		return sn.cfg
	}
	return nil
}

// ConfigHash returns the hash of the config being served, or "".
func (s *Server) ConfigHash() string {
	if sn := s.snap.Load(); sn != nil {
		return sn.hash
	}
	return ""
}

// WatchFile reloads the config file when its content changes (checked
// every interval) and whenever reload receives a value (SIGHUP). It returns
// when ctx ends.
func (s *Server) WatchFile(ctx context.Context, file string, interval time.Duration, reload <-chan struct{}) {
	// The first tick reads the file; loading what is already served is a
	// no-op (same config hash).
	var last [32]byte
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-reload:
			forced = true
		}
		data, err := os.ReadFile(file)
		if err != nil {
			if forced {
				_ = s.loadFailed(fmt.Errorf("reading %s: %w", file, err))
			}
			continue
		}
		sum := sha256.Sum256(data)
		if !forced && bytes.Equal(sum[:], last[:]) {
			continue
		}
		last = sum
		_ = s.LoadBytes(data)
	}
}
