package proxy

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// HeaderClaudeCodeSession is the header Claude Code sends with the id of
// its conversation.
const HeaderClaudeCodeSession = "X-Claude-Code-Session-Id"

// sessionMembers are the body members that name a conversation, in the
// order they are read: OpenAI's prompt_cache_key, Anthropic's
// metadata.user_id, OpenAI's user and safety_identifier.
var sessionMembers = []string{"prompt_cache_key", "metadata", "user", "safety_identifier"}

// affinity is the placement of one request's session: when set, every
// choice within a tier is a weighted rendezvous hash of h.
type affinity struct {
	set bool
	h   uint64
}

// sessionAffinity reads the session key of a request for rt: the
// configured header, Claude Code's header, then the body members. The key
// is hashed with the consumer, so two consumers' equal "user" values are
// placed apart; nothing of it is kept. The zero affinity when the route
// has affinity off or the request names no session.
func sessionAffinity(rt *route, consumer string, h http.Header, body []byte) affinity {
	if rt.affinity.Mode != config.AffinitySession {
		return affinity{}
	}
	key := ""
	if rt.affinity.Header != "" {
		key = h.Get(rt.affinity.Header)
	}
	if key == "" {
		key = h.Get(HeaderClaudeCodeSession)
	}
	if key == "" {
		key = bodySession(body)
	}
	if key == "" {
		return affinity{}
	}
	f := fnv.New64a()
	_, _ = f.Write([]byte(consumer))
	_, _ = f.Write([]byte{0})
	_, _ = f.Write([]byte(key))
	return affinity{set: true, h: f.Sum64()}
}

// bodySession is the first non-empty session member of a client body, or
// "". Members of the wrong type are not a session (the API judges them).
func bodySession(body []byte) string {
	found, err := openai.Find(body, sessionMembers...)
	if err != nil || found == nil {
		return ""
	}
	for _, name := range sessionMembers {
		raw, ok := found[name]
		if !ok {
			continue
		}
		var s string
		if name == "metadata" {
			var m struct {
				UserID string `json:"user_id"`
			}
			if json.Unmarshal(raw, &m) != nil {
				continue
			}
			s = m.UserID
		} else if json.Unmarshal(raw, &s) != nil {
			continue
		}
		if s != "" {
			return s
		}
	}
	return ""
}

// labelHash is the stable hash of a backend label, the same on every
// replica that has the same config.
func labelHash(label string) uint64 {
	f := fnv.New64a()
	_, _ = f.Write([]byte(label))
	return f.Sum64()
}

// rendezvous picks among cands by weighted rendezvous (highest random
// weight) hashing: each backend scores w / -ln(u), u uniform in (0, 1)
// from the session and the backend's label, and the highest wins. The
// winner of a session changes only when it leaves cands (cooling, tried,
// drained), and then only that backend's sessions move; over many
// sessions a backend wins in proportion to its weight.
func rendezvous(h uint64, cands []*backend) *backend {
	var best *backend
	bestScore := -1.0
	for _, b := range cands {
		if b.weight <= 0 {
			continue
		}
		u := (float64(mix64(h^b.hash)>>11) + 0.5) / (1 << 53)
		if s := float64(b.weight) / -math.Log(u); s > bestScore {
			best, bestScore = b, s
		}
	}
	if best == nil {
		return cands[0]
	}
	return best
}

// mix64 is splitmix64's finaliser: a bijection whose output bits each
// depend on every input bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
