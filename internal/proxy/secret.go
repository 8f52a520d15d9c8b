package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// SecretSource reads the config from one Kubernetes Secret and watches it
// (a watch on that Secret alone, by field selector), so a change the
// operator writes is served within about a second.
type SecretSource struct {
	Client    kubernetes.Interface
	Namespace string
	Name      string
}

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

// Watch calls apply with the document each time the Secret changes, until
// ctx ends. It re-lists and re-watches after any watch error, with backoff.
func (src *SecretSource) Watch(ctx context.Context, log *slog.Logger, apply func([]byte)) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := src.watchOnce(ctx, apply)
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
		if !sleepCtx(ctx, wait) {
			return
		}
	}
}

func (src *SecretSource) watchOnce(ctx context.Context, apply func([]byte)) error {
	sel := fields.OneTermEqualSelector("metadata.name", src.Name).String()
	list, err := src.Client.CoreV1().Secrets(src.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return fmt.Errorf("listing: %w", err)
	}
	for i := range list.Items {
		if data, ok := list.Items[i].Data[config.SecretKey]; ok {
			apply(data)
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
					apply(data)
				}
			case watch.Error:
				return errors.New("watch error event")
			}
		}
	}
}
