package controller_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/controller"
	"github.com/tollgate-dev/tollgate/internal/poll"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	"github.com/tollgate-dev/tollgate/internal/resources"
	"github.com/tollgate-dev/tollgate/internal/testenv"
	"github.com/tollgate-dev/tollgate/test/scalefig"
)

// shardedGateway is a gateway whose compiled config is far over the API
// server's 1 MiB Secret limit, served by a proxy that reads the real
// Secrets with the gateway's own ServiceAccount (so the Role's
// resourceNames are what it is allowed).
type shardedGateway struct {
	t   *testing.T
	c   client.Client
	ns  string
	gw  *v1alpha1.AIGateway
	src *proxy.SecretSource
	s   *proxy.Server
	url string
}

// fatConsumer has its own key Secret and 64 allowed-model globs of about
// 100 characters, about 7 KiB of compiled config: 200 of them need more
// than 1 MiB. lean drops the globs (the scale run's 184-byte consumers).
func fatConsumer(ns, name string, lean bool) (*corev1.Secret, *v1alpha1.Consumer) {
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-byok", Namespace: ns},
		StringData: map[string]string{"key": "sk-" + name + "-brought-key"}}
	cs := &v1alpha1.Consumer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.ConsumerSpec{
			Gateways:    []v1alpha1.ObjectName{"main"},
			Credentials: v1alpha1.ConsumerCredentials{SecretRef: &v1alpha1.SecretKeyReference{Name: v1alpha1.ObjectName(sec.Name), Key: "key"}},
		},
	}
	if !lean {
		cs.Spec.AllowedModels = []v1alpha1.ModelPattern{"mock-*"}
		for i := range 63 {
			cs.Spec.AllowedModels = append(cs.Spec.AllowedModels, v1alpha1.ModelPattern(fmt.Sprintf("%s-%02d-%s*", name, i, strings.Repeat("m", 90))))
		}
	}
	return sec, cs
}

// createConsumers creates n consumers (and their key Secrets) eight at a
// time.
func createConsumers(t *testing.T, c client.Client, ns string, n int, lean bool) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				sec, cs := fatConsumer(ns, fmt.Sprintf("c%05d", i), lean)
				for _, o := range []client.Object{sec, cs} {
					if err := c.Create(context.Background(), o); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	for i := range n {
		select {
		case next <- i:
		case err := <-errs:
			close(next)
			wg.Wait()
			t.Fatal(err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

func newShardedGateway(t *testing.T, n int, lean bool) *shardedGateway {
	t.Helper()
	c := env(t)
	ns := namespace(t, c)
	g := &shardedGateway{t: t, c: c, ns: ns}
	g.gw = samples(t, c, ns, nil)
	start := time.Now()
	createConsumers(t, c, ns, n, lean)
	created := time.Since(start)
	g.programmed(n+1, 10*time.Minute+time.Duration(n)*20*time.Millisecond)
	t.Logf("%d consumers created in %s; the gateway Programmed with all of them %s after the last create",
		n, created.Round(time.Millisecond), (time.Since(start) - created).Round(time.Millisecond))
	return g
}

// programmed waits for Programmed=True with n consumers and returns the
// root Secret, whose hash status.configHash must be.
func (g *shardedGateway) programmed(n int, timeout time.Duration) *corev1.Secret {
	g.t.Helper()
	ctx := context.Background()
	var root corev1.Secret
	poll.Until(g.t, timeout, func() error {
		if err := condition(ctx, g.c, g.gw, v1alpha1.ConditionProgrammed, metav1.ConditionTrue, v1alpha1.ReasonProgrammed); err != nil {
			return err
		}
		if int(g.gw.Status.Consumers) != n {
			return fmt.Errorf("%d of %d consumers compiled", g.gw.Status.Consumers, n)
		}
		if err := g.c.Get(ctx, client.ObjectKey{Namespace: g.ns, Name: "main-config"}, &root); err != nil {
			return err
		}
		if h := config.Hash(root.Data[config.SecretKey]); h != g.gw.Status.ConfigHash {
			return fmt.Errorf("status.configHash %s, the root Secret's %s", g.gw.Status.ConfigHash, h)
		}
		return nil
	})
	return &root
}

// shardVersions maps each shard Secret of the gateway to its resourceVersion,
// checking each is under the API server's limit, and their bytes in all.
func (g *shardedGateway) shardVersions() (map[string]string, int) {
	g.t.Helper()
	var list corev1.SecretList
	must(g.t, g.c.List(context.Background(), &list, client.InNamespace(g.ns), client.HasLabels{resources.LabelConfigShard}))
	out, total := map[string]string{}, 0
	for _, s := range list.Items {
		if n := len(s.Data[config.SecretKey]); n > config.MaxShardBytes {
			g.t.Errorf("shard %s is %d bytes", s.Name, n)
		}
		total += len(s.Data[config.SecretKey])
		out[s.Name] = s.ResourceVersion
	}
	return out, total
}

// serve starts a proxy on the gateway's Secrets as its ServiceAccount.
func (g *shardedGateway) serve() {
	g.t.Helper()
	rc := *shared.Config
	rc.Impersonate.UserName = "system:serviceaccount:" + g.ns + ":main-proxy"
	cs, err := kubernetes.NewForConfig(&rc)
	must(g.t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g.src = &proxy.SecretSource{Client: cs, Namespace: g.ns, Name: "main-config"}
	g.s = proxy.New(proxy.Options{Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	g.t.Cleanup(cancel)
	must(g.t, g.src.LoadFirst(ctx, g.s, log))
	go g.src.Watch(ctx, log, func(b []byte) error { return g.src.Load(ctx, g.s, b) })
	srv := httptest.NewServer(g.s)
	g.t.Cleanup(srv.Close)
	g.url = srv.URL
}

// call sends a chat request with key and returns the status.
func (g *shardedGateway) call(key string) int {
	g.t.Helper()
	return proxytest.ChatStatus(g.t, g.url, key, "mock-small", nil)
}

// servedHash waits until the proxy serves hash.
func (g *shardedGateway) servedHash(hash string) {
	g.t.Helper()
	poll.Until(g.t, 30*time.Second, func() error {
		if got := g.s.ConfigHash(); got != hash {
			return fmt.Errorf("proxy serves %s, status says %s", got, hash)
		}
		return nil
	})
}

// checkSharded: a gateway over the 1 MiB limit is Programmed with the
// hash of its root, a proxy reading the real Secrets as the gateway's
// ServiceAccount serves the newest consumer's key, one more Consumer
// rewrites one shard, and a deleted Consumer's key stops working. It
// returns the time from that Consumer's create to its key's first 200,
// and the test's namespace.
func checkSharded(t *testing.T, n int, lean bool) (time.Duration, string) {
	g := newShardedGateway(t, n, lean)
	root := g.programmed(n+1, time.Minute)
	cfg, err := config.ParseRoot(root.Data[config.SecretKey])
	must(t, err)
	if len(cfg.Shards) < 2 {
		t.Fatalf("root names %d shards; want the consumers sharded", len(cfg.Shards))
	}
	before, total := g.shardVersions()
	total += len(root.Data[config.SecretKey])
	t.Logf("%d consumers: root %d bytes and %d shards, %d bytes in all", n+1, len(root.Data[config.SecretKey]), len(before), total)
	if !lean && total <= 1<<20 {
		t.Fatalf("the config is %d bytes: not over the 1 MiB one Secret can hold", total)
	}
	if len(before) != len(cfg.Shards) {
		t.Fatalf("%d shard Secrets, the root names %d", len(before), len(cfg.Shards))
	}
	g.serve()
	g.servedHash(g.gw.Status.ConfigHash)
	last := fmt.Sprintf("c%05d", n-1)
	if code := g.call("sk-" + last + "-brought-key"); code != http.StatusOK {
		t.Fatalf("the last-created consumer's key: status %d", code)
	}

	// One more Consumer: one shard rewritten, served.
	newest := "c99999"
	sec, cs := fatConsumer(g.ns, newest, lean)
	lists := secretLists(t)
	applied := time.Now()
	must(t, g.c.Create(context.Background(), sec))
	must(t, g.c.Create(context.Background(), cs))
	g.programmed(n+2, time.Minute)
	g.servedHash(g.gw.Status.ConfigHash)
	if code := g.call("sk-" + newest + "-brought-key"); code != http.StatusOK {
		t.Fatalf("the newest consumer's key: status %d", code)
	}
	servedAfter := time.Since(applied)
	// The reconciles of that change read the one new Secret: the others
	// are kept, unchanged by their resourceVersion, not listed again.
	if d := secretLists(t) - lists; d != 0 {
		t.Errorf("one Consumer more made %v paged Lists of a namespace's Secrets; want 0 (only the new Secret read)", d)
	}
	after, _ := g.shardVersions()
	var rewritten []string
	for name, rv := range after {
		if before[name] != rv {
			rewritten = append(rewritten, name)
		}
	}
	if len(rewritten) != 1 || len(after) != len(before) {
		t.Errorf("one Consumer more rewrote shards %v (%d → %d shards); want exactly one", rewritten, len(before), len(after))
	}

	// Deleting it: its key is refused once the proxy has the new root.
	must(t, g.c.Delete(context.Background(), cs))
	g.programmed(n+1, time.Minute)
	g.servedHash(g.gw.Status.ConfigHash)
	if code := g.call("sk-" + newest + "-brought-key"); code != http.StatusUnauthorized {
		t.Errorf("a deleted consumer's key: status %d, want 401", code)
	}
	return servedAfter, g.ns
}

// 200 consumers of 7 KiB: the config is about 1.4 MiB, which one Secret
// cannot hold (the API server refuses it on main before sharding).
func TestShardedConfigOverTheSecretLimit(t *testing.T) {
	checkSharded(t, 200, false)
}

// The scale version (make scale): TOLLGATE_SCALE=1 with
// TOLLGATE_SHARD_CONSUMERS (default 10,000) lean consumers with brought
// keys, created in parallel.
func TestShardedConfigScale(t *testing.T) {
	n := testenv.ScaleCount(t, "TOLLGATE_SHARD_CONSUMERS", 10_000, "serve a gateway of 10,000 brought-key Consumers")
	start := time.Now()
	served, ns := checkSharded(t, n, true)
	t.Logf("%d consumers: created, compiled, sharded, served and changed in %s; one Consumer more served %s after its create", n, time.Since(start).Round(time.Second), served.Round(time.Millisecond))
	record(t, scalefig.Figure{Key: scalefig.AppliedToServed, Consumers: n, Source: "TestShardedConfigScale", Amount: served.Seconds(),
		Value: fmt.Sprintf("%s from the Consumer's create to its key's first 200 (a real API server, the proxy watching the real Secrets)", served.Round(time.Millisecond))})

	// Steady state: with nothing changing, every write the API server
	// takes in a window (the operator's and anyone else's) moves the etcd
	// revision that a quorum List returns.
	window := time.Minute
	if d, err := time.ParseDuration(os.Getenv("TOLLGATE_SCALE_STEADY")); err == nil && d > 0 {
		window = d
	}
	settled(t, ns, n)
	before := revision(t)
	time.Sleep(window)
	writes := revision(t) - before
	perMinute := float64(writes) / window.Minutes()
	t.Logf("steady state with %d Consumers and no traffic: %d API writes in %s (%.0f a minute)", n, writes, window, perMinute)
	record(t, scalefig.Figure{Key: scalefig.APIWrites, Consumers: n, Source: "TestShardedConfigScale", Amount: perMinute,
		Value: fmt.Sprintf("%.0f a minute with no traffic (%d writes in %s, every writer on the API server); with traffic, Consumer usage adds at most %d a minute by construction", perMinute, writes, window, controller.UsageWritesPerMinute)})
}

// settled waits until the operator has written the status of every one
// of the want Consumers in namespace ns (observedGeneration
// caught up): the first status writes of thousands of new Consumers go
// on after the gateway is Programmed, and they are convergence, not the
// steady state.
func settled(t *testing.T, ns string, want int) {
	t.Helper()
	began := time.Now()
	defer func() {
		t.Logf("every Consumer's status written %s after the churn", time.Since(began).Round(100*time.Millisecond))
	}()
	poll.Until(t, 30*time.Minute, func() error {
		var l v1alpha1.ConsumerList
		if err := sharedC.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
			return err
		}
		done := 0
		for _, c := range l.Items {
			if c.Status.ObservedGeneration == c.Generation {
				done++
			}
		}
		if done < want {
			return fmt.Errorf("%d of %d Consumers have their status written", done, want)
		}
		return nil
	})
}

// revision is the API server's etcd revision now: the resourceVersion of
// a List served from quorum.
func revision(t *testing.T) int64 {
	t.Helper()
	var l corev1.NamespaceList
	must(t, sharedC.List(context.Background(), &l, client.Limit(1)))
	rv, err := strconv.ParseInt(l.ResourceVersion, 10, 64)
	must(t, err)
	return rv
}

// record adds a figure to the scale run's report (make scale).
func record(t *testing.T, f scalefig.Figure) {
	t.Helper()
	if err := scalefig.Record(f); err != nil {
		t.Errorf("recording the figure: %v", err)
	}
}

// The proxy's side of the protocol, on a real API server with no
// operator: a root naming a shard that is not written yet (or is still
// at its old hash) leaves the previous config serving; once the shard is
// there the new config is served.
func TestProxyWaitsForEveryShard(t *testing.T) {
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)
	cfg, err := config.Parse([]byte(`{"version":"tollgate.dev/gateway/v1","gateway":{"name":"hand"},
		"providers":[{"name":"mock","type":"Mock"}],"models":[{"name":"mock-small","provider":"mock"}]}`))
	must(t, err)
	for i := range 3000 {
		k := config.Key{ID: fmt.Sprintf("h%016x", i), SHA256: fmt.Sprintf("%064x", i)}
		cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: fmt.Sprintf("c%05d", i), Keys: []config.Key{k}})
	}
	write := func(name string, data []byte) {
		t.Helper()
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if err := c.Get(ctx, client.ObjectKeyFromObject(sec), sec); err == nil {
			sec.Data = map[string][]byte{config.SecretKey: data}
			must(t, c.Update(ctx, sec))
			return
		}
		sec.Data = map[string][]byte{config.SecretKey: data}
		must(t, c.Create(ctx, sec))
	}
	one, err := config.Split(cfg)
	must(t, err)
	if len(one.Shards) < 2 {
		t.Fatalf("%d shards", len(one.Shards))
	}
	for _, sh := range one.Shards {
		write(config.ShardSecretName("hand-config", sh.Ref.ID), sh.Data)
	}
	write("hand-config", one.Root)
	cs, err := kubernetes.NewForConfig(shared.Config)
	must(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	src := &proxy.SecretSource{Client: cs, Namespace: ns, Name: "hand-config"}
	s := proxy.New(proxy.Options{Logger: log})
	must(t, src.LoadFirst(ctx, s, log))
	if s.ConfigHash() != one.Hash() || len(s.Config().Consumers) != 3000 {
		t.Fatalf("serving %s with %d consumers, want %s with 3000", s.ConfigHash(), len(s.Config().Consumers), one.Hash())
	}

	// One consumer more: its shard changes. The new root alone is not
	// served, whether the shard is at its old hash or missing.
	cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: "newest", Keys: []config.Key{{ID: "hnewest", SHA256: fmt.Sprintf("%064x", 99999)}}})
	two, err := config.Split(cfg)
	must(t, err)
	var changed config.Shard
	for _, sh := range two.Shards {
		for _, old := range one.Shards {
			if sh.Ref.ID == old.Ref.ID && sh.Ref.SHA256 != old.Ref.SHA256 {
				changed = sh
			}
		}
	}
	if changed.Ref.ID == "" {
		t.Fatal("no shard changed")
	}
	if err := src.Load(ctx, s, two.Root); !errors.Is(err, config.ErrShardStale) {
		t.Fatalf("new root with the shard at its old hash: %v, want ErrShardStale", err)
	}
	must(t, c.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: config.ShardSecretName("hand-config", changed.Ref.ID)}}))
	if err := src.Load(ctx, s, two.Root); !errors.Is(err, config.ErrShardStale) {
		t.Fatalf("new root with the shard missing: %v, want ErrShardStale", err)
	}
	if s.ConfigHash() != one.Hash() {
		t.Fatalf("the previous config stopped serving: %s", s.ConfigHash())
	}
	write(config.ShardSecretName("hand-config", changed.Ref.ID), changed.Data)
	must(t, src.Load(ctx, s, two.Root))
	if s.ConfigHash() != two.Hash() || len(s.Config().Consumers) != 3001 {
		t.Fatalf("serving %s with %d consumers, want %s with 3001", s.ConfigHash(), len(s.Config().Consumers), two.Hash())
	}
}

// secretLists is the API server's count of namespaced Secret Lists (its
// own apiserver_request_total): the operator lists a namespace's Secrets
// only when it must read more than a few of them again.
func secretLists(t *testing.T) float64 {
	t.Helper()
	cs, err := kubernetes.NewForConfig(shared.Config)
	must(t, err)
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	must(t, err)
	var n float64
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") || !strings.Contains(line, `resource="secrets"`) ||
			!strings.Contains(line, `scope="namespace"`) || !strings.Contains(line, `verb="LIST"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		must(t, err)
		n += v
	}
	return n
}
