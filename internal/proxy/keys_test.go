package proxy

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// Row 21: a rotated key and its successor both work during the overlap;
// after notAfter the old key gets the same 401 as any bad key; a reload
// that drops a key makes it fail at once.
func TestKeyRotationOverlap(t *testing.T) {
	up := mockup.New(t)
	cfg, newKeyStr := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m"})
	oldKey, oldEntry := newKey(t)
	start := time.Now()
	notAfter := start.Add(time.Hour)
	oldEntry.NotAfter = &notAfter
	cfg.Consumers[0].Keys = append(cfg.Consumers[0].Keys, oldEntry)
	var now atomic.Int64
	now.Store(start.UnixNano())
	g := startGateway(t, cfg, func(o *Options) { o.Now = func() time.Time { return time.Unix(0, now.Load()) } })

	call := func(key string, anthropic bool) (int, string) {
		path, body := "/v1/chat/completions", chatBody(false, "")
		hdr := map[string]string{}
		if anthropic { // the Messages API's header
			path, body = messagesPath, `{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
			hdr["x-api-key"], key = key, ""
		}
		resp := g.do(t, http.MethodPost, path, key, body, hdr)
		return resp.StatusCode, readAll(t, resp)
	}
	for _, anth := range []bool{false, true} {
		for name, k := range map[string]string{"new": newKeyStr, "old": oldKey} {
			if code, body := call(k, anth); code != 200 {
				t.Fatalf("%s key during the overlap (messages %v): %d %s", name, anth, code, body)
			}
		}
	}
	_, badBody := call(oldKey+"x", false)
	_, badAnth := call(oldKey+"x", true)

	now.Store(notAfter.UnixNano())
	for _, anth := range []bool{false, true} {
		code, body := call(oldKey, anth)
		want := badBody
		if anth {
			want = badAnth
		}
		if code != http.StatusUnauthorized || body != want {
			t.Errorf("old key after notAfter (messages %v): %d %s, want the bad-key answer %s", anth, code, body, want)
		}
		if code, body := call(newKeyStr, anth); code != 200 {
			t.Errorf("new key after notAfter: %d %s", code, body)
		}
	}

	// A reload that drops the new key: it fails on the next request.
	next := *cfg
	next.Consumers = []config.Consumer{cfg.Consumers[0]}
	next.Consumers[0].Keys = []config.Key{oldEntry}
	late := now.Load() + int64(2*time.Hour)
	next.Consumers[0].Keys[0].NotAfter = nil
	if err := g.s.Load(&next); err != nil {
		t.Fatal(err)
	}
	now.Store(late)
	if code, body := call(newKeyStr, false); code != http.StatusUnauthorized || body != badBody {
		t.Errorf("dropped key: %d %s", code, body)
	}
	if code, body := call(oldKey, false); code != 200 {
		t.Errorf("key kept by the reload: %d %s", code, body)
	}
}
