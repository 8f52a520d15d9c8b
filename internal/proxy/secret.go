package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/pause"
)

// SecretSource reads the config from one Kubernetes Secret and watches it
// (a watch on that Secret alone, by field selector), so a change the
// operator writes is served within about a second. A sharded root names
// its consumer shards: they are read by name (GET, which the gateway's
// Role admits by resourceNames) when their hash differs from the one
// already held, so one changed shard is one read and one decode.
type SecretSource struct {
	Client    kubernetes.Interface
	Namespace string
	Name      string

	mu sync.Mutex
	// shards are the consumers of the shards last loaded, by id.
	shards map[string]heldShard
}

// heldShard is one decoded shard and the hash it was checked against.
type heldShard struct {
	sha256    string
	consumers []config.Consumer
}

// shardReads bounds concurrent shard reads at start.
const shardReads = 4

// NewSecretSource parses "namespace/name" and builds a client from a
// kubeconfig file, $KUBECONFIG, or the in-cluster service account.
func NewSecretSource(ref, kubeconfig string) (*SecretSource, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return nil, fmt.Errorf("--config-secret %q: want namespace/name", ref)
	}
	if kubeconfig == "" {
		kubeconfig = os.Getenv("KUBECONFIG")
	}
	var rc *rest.Config
	var err error
	if kubeconfig == "" {
		rc, err = rest.InClusterConfig()
	} else {
		rc, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	rc.UserAgent = "tollgate-proxy"
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &SecretSource{Client: cs, Namespace: ns, Name: name}, nil
}

// Get reads the config document once.
func (src *SecretSource) Get(ctx context.Context) ([]byte, string, error) {
	sec, err := src.Client.CoreV1().Secrets(src.Namespace).Get(ctx, src.Name, metav1.GetOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("reading Secret %s/%s: %w", src.Namespace, src.Name, err)
	}
	data, ok := sec.Data[config.SecretKey]
	if !ok {
		return nil, sec.ResourceVersion, fmt.Errorf("Secret %s/%s has no key %q", src.Namespace, src.Name, config.SecretKey)
	}
	return data, sec.ResourceVersion, nil
}

// firstLoadPatience is how long a starting proxy waits for a complete
// config (shards still being written) before it gives up.
const firstLoadPatience = 30 * time.Second

// LoadFirst reads the Secret and serves it on s; a sharded config whose
// shards are still being written is read again for up to
// firstLoadPatience.
func (src *SecretSource) LoadFirst(ctx context.Context, s *Server, log *slog.Logger) error {
	deadline := time.Now().Add(firstLoadPatience)
	wait := 100 * time.Millisecond
	for {
		data, _, err := src.Get(ctx)
		if err == nil {
			err = src.Load(ctx, s, data)
		}
		if err == nil || !retryable(err) || time.Now().After(deadline) {
			return err
		}
		log.Info("config not complete yet; reading it again", slog.String("reason", err.Error()))
		if !pause.For(ctx, wait) {
			return ctx.Err()
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// Load serves a stored root document on s: directly when its consumers
// are inline, otherwise assembled with its shards. While a shard the root
// names is missing or has another hash (the operator writes shards before
// their root, so a newer root follows), nothing changes and the error
// wraps config.ErrShardStale.
func (src *SecretSource) Load(ctx context.Context, s *Server, data []byte) error {
	root, err := config.ParseRoot(data)
	if err != nil || len(root.Shards) == 0 {
		return s.LoadBytes(data) // one path for inline documents and their errors
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	held := make(map[string]heldShard, len(root.Shards))
	var need []config.ShardRef
	for _, ref := range root.Shards {
		if h, ok := src.shards[ref.ID]; ok && h.sha256 == ref.SHA256 {
			held[ref.ID] = h
		} else {
			need = append(need, ref)
		}
	}
	read, err := src.readShards(ctx, need)
	if err != nil {
		return err
	}
	maps.Copy(held, read)
	parts := make(map[string][]config.Consumer, len(held))
	for id, h := range held {
		parts[id] = h.consumers
	}
	if err := s.LoadParts(root, parts, config.Hash(data)); err != nil {
		return err
	}
	src.shards = held // only the shards the served root names
	return nil
}

// readShards reads and checks the shards refs names, a few at a time.
func (src *SecretSource) readShards(ctx context.Context, refs []config.ShardRef) (map[string]heldShard, error) {
	out := make(map[string]heldShard, len(refs))
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, shardReads)
	)
	for _, ref := range refs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cs, err := src.readShard(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			out[ref.ID] = heldShard{sha256: ref.SHA256, consumers: cs}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func (src *SecretSource) readShard(ctx context.Context, ref config.ShardRef) ([]config.Consumer, error) {
	name := config.ShardSecretName(src.Name, ref.ID)
	sec, err := src.Client.CoreV1().Secrets(src.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%w: Secret %s/%s does not exist yet", config.ErrShardStale, src.Namespace, name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s/%s: %w", src.Namespace, name, err)
	}
	cs, err := config.ParseShard(ref, sec.Data[config.SecretKey])
	if err != nil {
		return nil, fmt.Errorf("Secret %s/%s: %w", src.Namespace, name, err)
	}
	return cs, nil
}

// Watch calls apply with the document each time the Secret changes, until
// ctx ends. It re-lists and re-watches after any watch error, with backoff.
// A document apply could not serve yet because a shard was not there
// (config.ErrShardStale) or could not be read is applied again, with
// backoff, until it is served or a newer one arrives.
func (src *SecretSource) Watch(ctx context.Context, log *slog.Logger, apply func([]byte) error) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := src.watchOnce(ctx, log, apply)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Warn("config Secret watch failed; retrying", slog.String("secret", src.Namespace+"/"+src.Name),
				slog.String("error", err.Error()))
			wait = min(wait*2, 10*time.Second)
		} else {
			wait = 100 * time.Millisecond
		}
		if !pause.For(ctx, wait) {
			return
		}
	}
}

// pendingDoc is a document waiting to be applied again.
type pendingDoc struct {
	data  []byte
	wait  time.Duration
	timer *time.Timer
}

// offer applies data; when it cannot be served yet it is kept for a retry.
func (p *pendingDoc) offer(log *slog.Logger, apply func([]byte) error, data []byte) {
	err := apply(data)
	if err == nil || !retryable(err) {
		p.data = nil
		return
	}
	if p.data == nil || !bytes.Equal(p.data, data) {
		p.wait = 250 * time.Millisecond
	} else {
		p.wait = min(p.wait*2, 10*time.Second)
	}
	p.data = data
	log.Info("config not complete yet; the current one keeps serving", slog.String("reason", err.Error()),
		slog.Duration("retry", p.wait))
	p.timer.Reset(p.wait)
}

// retryable: the shards are on their way, or the API could not be read.
func retryable(err error) bool {
	var st apierrors.APIStatus
	return errors.Is(err, config.ErrShardStale) || errors.As(err, &st)
}

func (src *SecretSource) watchOnce(ctx context.Context, log *slog.Logger, apply func([]byte) error) error {
	p := &pendingDoc{timer: time.NewTimer(time.Hour)}
	p.timer.Stop()
	defer p.timer.Stop()
	sel := fields.OneTermEqualSelector("metadata.name", src.Name).String()
	list, err := src.Client.CoreV1().Secrets(src.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return fmt.Errorf("listing: %w", err)
	}
	for i := range list.Items {
		if data, ok := list.Items[i].Data[config.SecretKey]; ok {
			p.offer(log, apply, data)
		}
	}
	w, err := src.Client.CoreV1().Secrets(src.Namespace).Watch(ctx, metav1.ListOptions{
		FieldSelector: sel, ResourceVersion: list.ResourceVersion, AllowWatchBookmarks: true})
	if err != nil {
		return fmt.Errorf("watching: %w", err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.timer.C:
			if p.data != nil {
				p.offer(log, apply, p.data)
			}
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil // the server ended the watch; re-list
			}
			switch ev.Type {
			case watch.Added, watch.Modified:
				sec, ok := ev.Object.(*corev1.Secret)
				if !ok {
					continue
				}
				if data, ok := sec.Data[config.SecretKey]; ok {
					p.offer(log, apply, data)
				}
			case watch.Error:
				return errors.New("watch error event")
			}
		}
	}
}
