// Package apikey makes, recognises and hashes consumer keys.
//
// A generated key looks like "tg-<id>_<secret>": a recognisable prefix (so
// secret scanners and people can tell what it is), a short public id used to
// find the key without comparing against every hash, and 32 bytes of secret
// entropy. Keys brought by users (any string) are accepted too; their lookup
// id is derived from their hash. The gateway stores only SHA-256 hashes.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
)

// Prefix starts every generated key.
const Prefix = "tg-"

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Generate returns a fresh key.
func Generate() (string, error) {
	var b [5 + 32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating key: %w", err)
	}
	return Prefix + enc.EncodeToString(b[:5]) + "_" + enc.EncodeToString(b[5:]), nil
}

// ID returns the public lookup id of a key: the id part of a generated key,
// or "h" and the first 16 hex digits of its hash for any other key.
func ID(key string) string {
	if strings.HasPrefix(key, Prefix) {
		rest := key[len(Prefix):]
		if i := strings.IndexByte(rest, '_'); i > 0 && i <= 16 && i < len(rest)-1 {
			return rest[:i]
		}
	}
	return "h" + Hash(key)[:16]
}

// DisplayPrefix is what status may show of a key: the prefix and id, never
// any of the secret.
func DisplayPrefix(key string) string {
	if strings.HasPrefix(key, Prefix) {
		return Prefix + ID(key)
	}
	return ID(key)
}

// Hash is the lowercase hex SHA-256 of a key.
func Hash(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

// Equal compares a presented key with a stored hash in constant time.
func Equal(key, sha256hex string) bool {
	got := sha256.Sum256([]byte(key))
	want, err := hex.DecodeString(sha256hex)
	if err != nil || len(want) != len(got) {
		return false
	}
	return subtle.ConstantTimeCompare(got[:], want) == 1
}
