package proxy

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tollgate-dev/tollgate/internal/activity"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/console"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/metrics"
)

// Main runs `tollgate proxy`: it serves a config from a file (--config,
// reloaded on change and on SIGHUP) or from a Kubernetes Secret
// (--config-secret namespace/name, watched), until ctx ends or SIGTERM,
// then drains.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "gateway config file (JSON or YAML)")
	secret := fs.String("config-secret", "", "read the config from this Secret (namespace/name), key "+config.SecretKey)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig for --config-secret (default $KUBECONFIG, then in-cluster)")
	listen := fs.String("listen", "", "client listener address, overrides the config")
	metricsListen := fs.String("metrics-listen", "", "metrics/health listener address, overrides the config")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*file == "") == (*secret == "") {
		return errors.New("proxy: give exactly one of --config FILE or --config-secret namespace/name")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("proxy: --log-level: %w", err)
	}
	logOut := NewLogWriter(stderr)
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level}))
	// The console reads the config and limits engine of whatever snapshot
	// is current, so it follows reloads.
	var s *Server
	deps := console.FromFunc(func() (*config.Config, *limits.Engine) { return s.Limits() })
	deps.Logger = log
	deps.Activity = func(ctx context.Context, f activity.Filter) (activity.Page, error) { return s.Activity(ctx, f) }
	s = New(Options{Logger: log, AccessLog: logOut, Metrics: metrics.New(), Console: console.New(deps), Usage: deps.Recorder})

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()

	var src *SecretSource
	if *file != "" {
		cfg, err := config.Load(*file)
		if err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
		if err := s.Load(cfg); err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
	} else {
		var err error
		if src, err = NewSecretSource(*secret, *kubeconfig); err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
		if err := src.LoadFirst(ctx, s, log); err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
	}
	cfg := s.Config()
	addr, maddr := cfg.Listener.Address, cfg.Listener.MetricsAddress
	if *listen != "" {
		addr = *listen
	}
	if *metricsListen != "" {
		maddr = *metricsListen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("proxy: listening on %s: %w", addr, err)
	}
	mln, err := net.Listen("tcp", maddr)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("proxy: listening on %s: %w", maddr, err)
	}
	hs := s.HTTPServer(cfg)
	if t := cfg.Listener.TLS; t != nil {
		certs := newCertReloader(t.CertFile, t.KeyFile, log)
		if err := certs.load(); err != nil {
			_, _ = ln.Close(), mln.Close()
			return fmt.Errorf("proxy: %w", err)
		}
		hs.TLSConfig = certs.tlsConfig()
	}
	ms := &http.Server{Handler: s.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 2)
	go func() {
		var err error
		if hs.TLSConfig != nil { // the certificate comes from the reloader
			err = hs.ServeTLS(ln, "", "")
		} else {
			err = hs.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("client listener: %w", err)
		}
	}()
	go func() {
		if err := ms.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics listener: %w", err)
		}
	}()
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	if src != nil {
		go src.Watch(watchCtx, log, func(b []byte) error { return src.Load(watchCtx, s, b) })
		go func() { // SIGHUP re-reads the Secret at once
			for {
				select {
				case <-watchCtx.Done():
					return
				case <-reload:
					if data, _, err := src.Get(watchCtx); err == nil {
						_ = s.LoadBytes(data)
					} else {
						_ = s.loadFailed(err)
					}
				}
			}
		}()
	} else {
		go s.WatchFile(watchCtx, *file, time.Second, reload)
	}
	_, _ = fmt.Fprintf(stdout, "tollgate proxy serving on %s (metrics %s)\n", ln.Addr(), mln.Addr())
	log.Info("serving", slog.String("address", ln.Addr().String()), slog.String("metrics", mln.Addr().String()))

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	s.StartDrain()
	stopWatch()
	drain := s.Config().Server.DrainTimeout.Duration
	log.Info("draining", slog.Duration("timeout", drain))
	if err := s.Drain(hs, drain, 2*time.Second); err != nil && runErr == nil {
		runErr = err
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = ms.Shutdown(sctx)
	s.Close()
	log.Info("stopped")
	return runErr
}
