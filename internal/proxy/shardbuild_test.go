package proxy

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
)

// shardedFixture is a config large enough to be sharded (16 shards), with
// every consumer's key.
type shardedFixture struct {
	cfg  *config.Config
	keys map[string]string // key → consumer name
}

// newShardedFixture: n consumers c00000…, one key each; some with their
// own vendor key, allowed-model globs, a second policy, or disabled.
func newShardedFixture(t testing.TB, n int) *shardedFixture {
	t.Helper()
	vendor := config.Provider{Name: "vendor", Type: config.ProviderOpenAI, Endpoint: "http://127.0.0.1:9/v1", APIKey: "sk-vendor",
		AllowPrivateNetwork: true}
	mock := config.Provider{Name: "mock", Type: config.ProviderMock}
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "sharded"},
		Auth:      config.Auth{Mode: config.AuthAPIKey},
		Providers: []config.Provider{vendor, mock},
		Routes:    []config.Route{{Model: "m", Backends: []config.Backend{{Provider: "vendor"}}}, {Model: "x-1", Backends: []config.Backend{{Provider: "mock"}}}},
		Policies: []config.Policy{{Name: "team", Limits: []config.Limit{{Window: config.D(time.Minute), Tokens: 1000}}},
			{Name: "small", MaxTokensPerRequest: 100}},
	}
	f := &shardedFixture{cfg: cfg, keys: map[string]string{}}
	for i := range n {
		f.cfg.Consumers = append(f.cfg.Consumers, f.consumer(t, fmt.Sprintf("c%05d", i), i))
	}
	return f
}

func (f *shardedFixture) consumer(t testing.TB, name string, i int) config.Consumer {
	key, k := proxytest.Key(t)
	if i%10 == 3 {
		// Keys sharing a lookup id (one of seven), across shards: the
		// index holds several entries under one id.
		key = fmt.Sprintf("tg-dupid%d_%s", i%7, strings.SplitN(key, "_", 2)[1])
		k = config.Key{ID: apikey.ID(key), SHA256: apikey.Hash(key)}
	}
	f.keys[key] = name
	cs := config.Consumer{Name: name, Keys: []config.Key{k}, Policies: []string{"team"}}
	if i%7 == 0 {
		cs.AllowedModels = []string{"m", "x-*"}
	}
	if i%11 == 0 {
		cs.Policies = append(cs.Policies, "small")
	}
	if i%97 == 0 {
		cs.BYOK = []config.BYOKKey{{Provider: "vendor", APIKey: "sk-own-" + name}}
	}
	if i%50 == 49 {
		cs.Disabled = true
	}
	return cs
}

// index finds a consumer by name.
func (f *shardedFixture) index(t testing.TB, name string) int {
	t.Helper()
	i := slices.IndexFunc(f.cfg.Consumers, func(c config.Consumer) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("no consumer %s", name)
	}
	return i
}

// stored is a config as the gateway reads it: the root and every shard,
// decoded.
type stored struct {
	root   *config.Config
	shards map[string][]config.Consumer
	hash   string
}

func split(t testing.TB, c *config.Config) *stored {
	t.Helper()
	d, err := config.Split(c)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, d)
}

func decode(t testing.TB, d *config.Distribution) *stored {
	t.Helper()
	root, err := config.ParseRoot(d.Root)
	if err != nil {
		t.Fatal(err)
	}
	if len(root.Shards) < 2 {
		t.Fatalf("%d shards: want the config sharded", len(root.Shards))
	}
	st := &stored{root: root, shards: map[string][]config.Consumer{}, hash: d.Hash()}
	for _, s := range d.Shards {
		cs, err := config.ParseShard(s.Ref, s.Data)
		if err != nil {
			t.Fatal(err)
		}
		st.shards[s.Ref.ID] = cs
	}
	return st
}

// shardOf is the id of the shard holding a consumer.
func (st *stored) shardOf(t testing.TB, name string) string {
	t.Helper()
	for id, cs := range st.shards {
		if slices.ContainsFunc(cs, func(c config.Consumer) bool { return c.Name == name }) {
			return id
		}
	}
	t.Fatalf("no shard holds %s", name)
	return ""
}

func quietServer(t testing.TB) *Server {
	t.Helper()
	s := New(Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	t.Cleanup(s.Close)
	return s
}

// loadCounting loads st and returns how many consumers were built and
// reused (the seam: the served snapshot's shard state).
func loadCounting(t *testing.T, s *Server, st *stored) (built, reused int) {
	t.Helper()
	if err := s.LoadParts(st.root, st.shards, st.hash); err != nil {
		t.Fatal(err)
	}
	sn := s.snap.Load()
	if sn.hash != st.hash || sn.parts == nil {
		t.Fatalf("serving %s (shard state %v), want %s built per shard", sn.hash, sn.parts != nil, st.hash)
	}
	return sn.parts.built, sn.parts.reused
}

// wholeSnapshot builds st the way an unsharded config is built: assembled
// whole, every consumer indexed in one pass.
func wholeSnapshot(t *testing.T, st *stored) *snapshot {
	t.Helper()
	cfg, err := config.Assemble(st.root, st.shards)
	if err != nil {
		t.Fatal(err)
	}
	ref := quietServer(t)
	if err := ref.load(cfg, st.hash); err != nil {
		t.Fatal(err)
	}
	return ref.snap.Load()
}

// sameAsWhole compares the snapshot s serves with the whole build of st:
// the config, every key's answer, the key index, the own-key adapters and
// the providers' redactions.
func sameAsWhole(t *testing.T, s *Server, st *stored, keys map[string]string) {
	t.Helper()
	got, want := s.snap.Load(), wholeSnapshot(t, st)
	if !reflect.DeepEqual(got.cfg, want.cfg) {
		t.Fatal("the served config differs from the whole assembly")
	}
	now := time.Now()
	served := 0
	for key, name := range keys {
		gc, gok := got.auth.authenticateKey(key, now)
		wc, wok := want.auth.authenticateKey(key, now)
		if gok != wok || gc.name() != wc.name() {
			t.Fatalf("key of %s: served %q %v, whole build %q %v", name, gc.name(), gok, wc.name(), wok)
		}
		if gok {
			served++
			if gc.name() != name || !reflect.DeepEqual(*gc.cfg, *wc.cfg) || !reflect.DeepEqual(gc.exact, wc.exact) ||
				!slices.Equal(gc.patterns, wc.patterns) || gc.all != wc.all {
				t.Fatalf("key of %s: the built consumer differs from the whole build's", name)
			}
		}
	}
	if served == 0 {
		t.Fatal("no key served")
	}
	if c, ok := got.auth.authenticateKey("tg-nobody_nokeyatallhere", now); ok {
		t.Fatalf("an unknown key is served as %s", c.name())
	}
	if !reflect.DeepEqual(keyIndex(got.auth), keyIndex(want.auth)) {
		t.Fatal("the key index differs from the whole build's")
	}
	if !slices.Equal(consumerNames(got.auth), consumerNames(want.auth)) {
		t.Fatal("the consumer order differs from the whole build's")
	}
	if !reflect.DeepEqual(byokIndex(got), byokIndex(want)) {
		t.Fatalf("own keys %v, whole build %v", byokIndex(got), byokIndex(want))
	}
	for name, up := range want.upstreams {
		if !slices.Equal(got.upstreams[name].redacted, up.redacted) {
			t.Fatalf("provider %s redacts %d secrets, the whole build %d", name, len(got.upstreams[name].redacted), len(up.redacted))
		}
	}
}

// keyIndex is an auth index's key map, each id's entries sorted.
func keyIndex(a *authIndex) map[string][]string {
	out := make(map[string][]string, len(a.byID))
	for id, es := range a.byID {
		for _, e := range es {
			out[id] = append(out[id], fmt.Sprintf("%s %s %v", e.sha256, e.consumer.name(), e.notAfter))
		}
		slices.Sort(out[id])
	}
	return out
}

func consumerNames(a *authIndex) []string {
	out := make([]string, len(a.consumers))
	for i, c := range a.consumers {
		out[i] = c.name()
	}
	return out
}

func byokIndex(sn *snapshot) map[string][]string {
	out := map[string][]string{}
	for name, m := range sn.byok {
		for p := range m {
			out[name] = append(out[name], p)
		}
		slices.Sort(out[name])
	}
	return out
}

// A swap builds the consumers of the shards that changed and reuses the
// others, every one of them when what a build reads of the root changed;
// what it serves is what a whole build serves.
func TestShardSwapBuildsOnlyChangedShards(t *testing.T) {
	f := newShardedFixture(t, 9000)
	s := quietServer(t)
	st := split(t, f.cfg)
	if len(st.shards) != 16 {
		t.Fatalf("%d shards, want 16", len(st.shards))
	}
	if built, reused := loadCounting(t, s, st); built != 9000 || reused != 0 {
		t.Fatalf("cold: built %d, reused %d; want 9000, 0", built, reused)
	}
	sameAsWhole(t, s, st, f.keys)

	step := func(what string, wantBuilt int) {
		t.Helper()
		next := split(t, f.cfg)
		built, reused := loadCounting(t, s, next)
		if built != wantBuilt || built+reused != len(f.cfg.Consumers) {
			t.Fatalf("%s: built %d, reused %d; want %d built of %d", what, built, reused, wantBuilt, len(f.cfg.Consumers))
		}
		sameAsWhole(t, s, next, f.keys)
		st = next
	}

	// One Consumer's allowed models: its shard only.
	i := f.index(t, "c04321")
	f.cfg.Consumers[i].AllowedModels = []string{"x-*"}
	step("one consumer changed", len(split(t, f.cfg).shards[st.shardOf(t, "c04321")]))

	// A Consumer more, with its own vendor key: its shard only.
	f.cfg.Consumers = append(f.cfg.Consumers, f.consumer(t, "zz-new", 0))
	next := split(t, f.cfg)
	step("one consumer more", len(next.shards[next.shardOf(t, "zz-new")]))

	// A key rotated out: its shard only, and the old key is refused.
	i = f.index(t, "c00005")
	var old string
	for k, n := range f.keys {
		if n == "c00005" {
			old = k
		}
	}
	key, k := proxytest.Key(t)
	f.cfg.Consumers[i].Keys = []config.Key{k}
	delete(f.keys, old)
	f.keys[key] = "c00005"
	step("one key rotated", len(split(t, f.cfg).shards[st.shardOf(t, "c00005")]))
	if _, ok := s.snap.Load().auth.authenticateKey(old, time.Now()); ok {
		t.Fatal("the rotated-out key is still served")
	}

	// The root changes where no consumer build looks: nothing is built.
	f.cfg.Server.DrainTimeout = config.D(17 * time.Second)
	f.cfg.Routes = append(f.cfg.Routes, config.Route{Model: "x-2", Backends: []config.Backend{{Provider: "mock"}}})
	step("a route more", 0)

	// A policy more, a provider's setting: every consumer is built.
	f.cfg.Policies = append(f.cfg.Policies, config.Policy{Name: "extra", MaxTokensPerRequest: 5})
	step("a policy more", len(f.cfg.Consumers))
	f.cfg.Providers[0].Endpoint = "http://127.0.0.1:10/v1"
	step("a provider's endpoint", len(f.cfg.Consumers))
	if a := s.snap.Load().byok["c00097"]["vendor"]; a == nil {
		t.Fatal("c00097's own-key adapter is gone")
	}
}

// A shard the root no longer names takes its consumers' keys with it.
func TestShardSwapDroppedShardDropsItsKeys(t *testing.T) {
	f := newShardedFixture(t, 9000)
	s := quietServer(t)
	st := split(t, f.cfg)
	loadCounting(t, s, st)

	dropped := st.root.Shards[3]
	root := *st.root
	root.Shards = slices.Delete(slices.Clone(root.Shards), 3, 4)
	less := &stored{root: &root, shards: st.shards, hash: "dropped-" + dropped.ID}
	if built, reused := loadCounting(t, s, less); built != 0 || reused != 9000-dropped.Consumers {
		t.Fatalf("built %d, reused %d; want 0, %d", built, reused, 9000-dropped.Consumers)
	}
	gone := map[string]bool{}
	for _, c := range st.shards[dropped.ID] {
		gone[c.Name] = true
	}
	keys := map[string]string{}
	now := time.Now()
	for key, name := range f.keys {
		disabled := f.cfg.Consumers[f.index(t, name)].Disabled
		if _, ok := s.snap.Load().auth.authenticateKey(key, now); ok != (!gone[name] && !disabled) {
			t.Fatalf("key of %s (dropped %v, disabled %v): served %v", name, gone[name], disabled, ok)
		}
		keys[key] = name
	}
	sameAsWhole(t, s, less, keys)

	// Back again: built anew (its build left with the snapshot that
	// dropped it), and served.
	if built, _ := loadCounting(t, s, st); built != dropped.Consumers {
		t.Fatalf("the shard back: built %d, want %d", built, dropped.Consumers)
	}
	sameAsWhole(t, s, st, f.keys)
}

// A name or key two shards hold is refused with the whole assembly's
// message, on a swap (the merged indexes patched) as from cold (made
// anew); the config served before keeps serving.
func TestShardSwapDuplicateAcrossShards(t *testing.T) {
	f := newShardedFixture(t, 9000)
	base := split(t, f.cfg)

	// c00001's key given to a consumer of another shard as well.
	home := base.shardOf(t, "c00001")
	var other string
	for _, c := range f.cfg.Consumers {
		if base.shardOf(t, c.Name) != home {
			other = c.Name
			break
		}
	}
	dupKey := cloneCfg(f.cfg)
	i, j := f.index(t, "c00001"), f.index(t, other)
	dupKey.Consumers[j].Keys = append(dupKey.Consumers[j].Keys, dupKey.Consumers[i].Keys[0])

	// c00001 itself written into a second shard, by hand (the operator
	// never does; a hand-made Secret can).
	dupName := split(t, f.cfg)
	into := dupName.shardOf(t, other)
	twin := dupName.shards[home][slices.IndexFunc(dupName.shards[home], func(c config.Consumer) bool { return c.Name == "c00001" })]
	_, fresh := proxytest.Key(t)
	twin.Keys = []config.Key{fresh}
	dupName.shards[into] = append(slices.Clone(dupName.shards[into]), twin)
	sh, err := config.MarshalShard(into, dupName.shards[into])
	if err != nil {
		t.Fatal(err)
	}
	dupName.root.Shards[slices.IndexFunc(dupName.root.Shards, func(r config.ShardRef) bool { return r.ID == into })] = sh.Ref
	dupName.hash = "dup-name"

	for _, c := range []struct {
		name string
		st   *stored
		want string
	}{
		{"a key in two shards", split(t, dupKey), "is shared with consumer"},
		{"a name in two shards", dupName, "duplicate consumer"},
	} {
		_, whole := config.Assemble(c.st.root, c.st.shards)
		if whole == nil || !strings.Contains(whole.Error(), c.want) {
			t.Fatalf("%s: the whole assembly says %v; want %q", c.name, whole, c.want)
		}
		want := fmt.Errorf("loading config: %w", whole).Error()

		s := quietServer(t)
		loadCounting(t, s, base)
		if err := s.LoadParts(c.st.root, c.st.shards, c.st.hash); err == nil || err.Error() != want {
			t.Fatalf("%s on a swap: %v; want %s", c.name, err, want)
		}
		if s.ConfigHash() != base.hash {
			t.Fatalf("%s on a swap: serving %s, want the config before (%s)", c.name, s.ConfigHash(), base.hash)
		}
		sameAsWhole(t, s, base, f.keys)

		cold := quietServer(t)
		if err := cold.LoadParts(c.st.root, c.st.shards, c.st.hash); err == nil || err.Error() != want {
			t.Fatalf("%s from cold: %v; want %s", c.name, err, want)
		}
		if cold.ConfigHash() != "" {
			t.Fatalf("%s from cold: serving %s", c.name, cold.ConfigHash())
		}
	}
}

// A shard with a consumer the root's checks refuse (an unknown policy) is
// refused with the whole assembly's message; the config before keeps
// serving, and the next good swap still builds only what changed.
func TestShardSwapBadShardKeepsServing(t *testing.T) {
	f := newShardedFixture(t, 9000)
	s := quietServer(t)
	base := split(t, f.cfg)
	loadCounting(t, s, base)

	bad := cloneCfg(f.cfg)
	bad.Consumers[f.index(t, "c00042")].Policies = []string{"nope"}
	st := split(t, bad)
	_, whole := config.Assemble(st.root, st.shards)
	if whole == nil {
		t.Fatal("the whole assembly accepts an unknown policy")
	}
	if err := s.LoadParts(st.root, st.shards, st.hash); err == nil || err.Error() != fmt.Errorf("loading config: %w", whole).Error() {
		t.Fatalf("got %v; want the whole assembly's %v", err, whole)
	}
	if s.ConfigHash() != base.hash {
		t.Fatalf("serving %s, want %s", s.ConfigHash(), base.hash)
	}
	sameAsWhole(t, s, base, f.keys)

	f.cfg.Consumers[f.index(t, "c00042")].Disabled = true
	next := split(t, f.cfg)
	if built, _ := loadCounting(t, s, next); built != len(next.shards[next.shardOf(t, "c00042")]) {
		t.Fatalf("after the refused swap: built %d, want c00042's shard only", built)
	}
	sameAsWhole(t, s, next, f.keys)
}

// cloneCfg copies a config deeply enough to change its consumers.
func cloneCfg(c *config.Config) *config.Config {
	out := *c
	out.Consumers = slices.Clone(c.Consumers)
	for i := range out.Consumers {
		out.Consumers[i].Keys = slices.Clone(out.Consumers[i].Keys)
		out.Consumers[i].Policies = slices.Clone(out.Consumers[i].Policies)
	}
	return &out
}

// Requests during swaps each see one whole snapshot: a key added in one
// version and a key removed in it are served exactly as that version
// says, however the swaps (patched indexes, shared shard builds) run
// under the readers. Run with -race, it also shows that nothing a
// published snapshot reads is written by a later swap.
func TestShardSwapReadersSeeOneVersion(t *testing.T) {
	f := newShardedFixture(t, 9000)
	v1 := split(t, f.cfg)
	var gone string
	for k, n := range f.keys {
		if n == "c00003" {
			gone = k
		}
	}
	i := f.index(t, "c00003")
	f.cfg.Consumers = slices.Delete(slices.Clone(f.cfg.Consumers), i, i+1)
	f.cfg.Consumers = append(f.cfg.Consumers, f.consumer(t, "zz-new", 1))
	var added string
	for k, n := range f.keys {
		if n == "zz-new" {
			added = k
		}
	}
	v2 := split(t, f.cfg)
	s := quietServer(t)
	loadCounting(t, s, v1)

	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				sn := s.acquire()
				now := time.Now()
				_, hasOld := sn.auth.authenticateKey(gone, now)
				_, hasNew := sn.auth.authenticateKey(added, now)
				hash := sn.hash
				sn.release()
				if want := hash == v1.hash; hasOld != want || hasNew == want {
					errs <- fmt.Errorf("snapshot %s: the removed key served %v, the added one %v", hash, hasOld, hasNew)
					return
				}
			}
		}()
	}
	for n := range 20 {
		from, to := v1, v2
		if n%2 == 1 {
			from, to = v2, v1
		}
		if built, _ := loadCounting(t, s, to); built != changedConsumers(from, to) {
			t.Errorf("swap %d built %d consumers, want %d: the changed shards'", n, built, changedConsumers(from, to))
		}
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// changedConsumers counts the consumers of to's shards that from does not
// have at the same hash.
func changedConsumers(from, to *stored) int {
	was := map[string]string{}
	for _, r := range from.root.Shards {
		was[r.ID] = r.SHA256
	}
	n := 0
	for _, r := range to.root.Shards {
		if was[r.ID] != r.SHA256 {
			n += r.Consumers
		}
	}
	return n
}
