package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// selfSigned is a PEM certificate and key for 127.0.0.1 named cn.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// writeAtomically swaps both files the way the kubelet updates a Secret
// volume: new content under a new name, then renames.
func writeAtomically(t *testing.T, dir string, certPEM, keyPEM []byte) {
	t.Helper()
	for name, b := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// servedCN handshakes with the reloader's config and names the
// certificate served.
func servedCN(t *testing.T, r *certReloader) string {
	t.Helper()
	c, err := r.getCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatalf("getCertificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

func TestCertReloaderServesARotatedCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	r := newCertReloader(certFile, keyFile, nil)
	clock := time.Unix(1_000_000, 0)
	r.now = func() time.Time { return clock }

	if err := r.load(); err == nil {
		t.Fatal("load with no files: want an error, got none")
	}
	if _, err := r.getCertificate(&tls.ClientHelloInfo{}); err == nil {
		t.Fatal("handshake before any certificate: want an error, got a certificate")
	}

	c1, k1 := selfSigned(t, "first")
	writeAtomically(t, dir, c1, k1)
	if err := r.load(); err != nil {
		t.Fatalf("load: %v", err)
	}
	if got := servedCN(t, r); got != "first" {
		t.Fatalf("served %q, want first", got)
	}

	c2, k2 := selfSigned(t, "renewed")
	writeAtomically(t, dir, c2, k2)
	if got := servedCN(t, r); got != "first" {
		t.Fatalf("within the check interval: served %q, want first", got)
	}
	clock = clock.Add(certCheckEvery)
	if got := servedCN(t, r); got != "renewed" {
		t.Fatalf("after the check interval: served %q, want renewed", got)
	}

	// A pair that does not match keeps the last good one.
	_, k3 := selfSigned(t, "other")
	writeAtomically(t, dir, c2, k3)
	clock = clock.Add(certCheckEvery)
	if got := servedCN(t, r); got != "renewed" {
		t.Fatalf("mismatched pair: served %q, want renewed kept", got)
	}
	// Files gone (a Secret deleted) keep it too.
	if err := os.Remove(certFile); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(certCheckEvery)
	if got := servedCN(t, r); got != "renewed" {
		t.Fatalf("files removed: served %q, want renewed kept", got)
	}
	if r.failures != 4 { // two before any file existed, two refused reloads
		t.Fatalf("failures = %d, want 4", r.failures)
	}
}

// TestCertReloaderThroughTLS serves real HTTPS with the reloader's config
// and sees the renewed certificate on a new connection.
func TestCertReloaderThroughTLS(t *testing.T) {
	dir := t.TempDir()
	c1, k1 := selfSigned(t, "first")
	writeAtomically(t, dir, c1, k1)
	r := newCertReloader(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), nil)
	r.every = 0 // check on every handshake
	if err := r.load(); err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", r.tlsConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); _ = c.Close() }()
		}
	}()
	dial := func() string {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // the test reads the served certificate's name
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer func() { _ = c.Close() }()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if got := dial(); got != "first" {
		t.Fatalf("served %q, want first", got)
	}
	c2, k2 := selfSigned(t, "renewed")
	writeAtomically(t, dir, c2, k2)
	if got := dial(); got != "renewed" {
		t.Fatalf("served %q, want renewed", got)
	}
}
