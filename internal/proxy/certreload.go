package proxy

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certReloader serves the listener's certificate from its PEM files and
// picks up a rotated one without a restart: cert-manager renews the
// Secret, the kubelet swaps the mounted files (one atomic symlink change
// for both), and the next handshake after the check interval loads the
// new pair. A pair that does not load (a half-written file, a key that
// does not match) keeps the last good certificate serving and is logged
// once per distinct content; a listener whose files never loaded refuses
// handshakes rather than serving without TLS.
type certReloader struct {
	certFile, keyFile string
	every             time.Duration
	log               *slog.Logger
	now               func() time.Time

	mu       sync.Mutex
	checked  time.Time
	cert     *tls.Certificate
	certPEM  []byte
	keyPEM   []byte
	badPEM   []byte // the content last refused, so it is logged once
	failures int
}

// certCheckEvery bounds how often a handshake re-reads the files: a
// rotation is served at most this long after the kubelet writes it.
const certCheckEvery = 5 * time.Second

func newCertReloader(certFile, keyFile string, log *slog.Logger) *certReloader {
	return &certReloader{certFile: certFile, keyFile: keyFile, every: certCheckEvery, log: log, now: time.Now}
}

// load reads the pair now; it answers an error only when no certificate
// has ever loaded.
func (r *certReloader) load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reloadLocked()
}

func (r *certReloader) reloadLocked() error {
	r.checked = r.now()
	certPEM, err := os.ReadFile(r.certFile)
	if err != nil {
		return r.keep(nil, fmt.Errorf("reading the TLS certificate: %w", err))
	}
	keyPEM, err := os.ReadFile(r.keyFile)
	if err != nil {
		return r.keep(nil, fmt.Errorf("reading the TLS key: %w", err))
	}
	if r.cert != nil && bytes.Equal(certPEM, r.certPEM) && bytes.Equal(keyPEM, r.keyPEM) {
		return nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return r.keep(certPEM, fmt.Errorf("loading the TLS key pair: %w", err))
	}
	old := r.cert
	r.cert, r.certPEM, r.keyPEM, r.badPEM = &cert, certPEM, keyPEM, nil
	if old != nil && r.log != nil {
		r.log.Info("serving a renewed TLS certificate", slog.String("file", r.certFile))
	}
	return nil
}

// keep records a failed reload; the old certificate, if any, stays.
func (r *certReloader) keep(content []byte, err error) error {
	r.failures++
	if r.log != nil && (content == nil || !bytes.Equal(content, r.badPEM)) {
		r.log.Warn("TLS certificate not reloaded; the last good one keeps serving", slog.String("error", err.Error()))
	}
	r.badPEM = content
	if r.cert == nil {
		return err
	}
	return nil
}

// getCertificate is tls.Config.GetCertificate.
func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cert == nil || r.now().Sub(r.checked) >= r.every {
		_ = r.reloadLocked()
	}
	if r.cert == nil {
		return nil, errors.New("no TLS certificate loaded yet")
	}
	return r.cert, nil
}

// tlsConfig is the listener's TLS configuration serving from r.
func (r *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.getCertificate, NextProtos: []string{"h2", "http/1.1"}}
}
