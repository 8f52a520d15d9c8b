package controller

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// How a sharded config is written (docs/design-notes.md, "Config
// distribution"): shards whose content changed first, then the Role
// naming every shard Secret that exists or is wanted, then the root that
// names the new shards by hash; a proxy swaps only once it holds every
// shard the root names with that hash, so it never serves a mixed set.
// Shards no root names any more are deleted after the root is written,
// and the Role is trimmed to what the root names.

// shardSet is what applyShards found and wrote.
type shardSet struct {
	// existing are the gateway's shard Secrets before this reconcile.
	existing map[string]*corev1.Secret
	// wanted are the names of the new root's shards, sorted.
	wanted []string
}

// readable is every shard Secret the proxy may be asked to read while
// the root moves from the old shards to the new ones.
func (ss *shardSet) readable() []string {
	out := slices.Clone(ss.wanted)
	for n := range ss.existing {
		if !slices.Contains(ss.wanted, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// applyShards applies the shards of s.dist whose content differs from the
// gateway's shard Secret of the same name (read from the cache): one
// Consumer change rewrites one shard.
func (r *AIGatewayReconciler) applyShards(ctx context.Context, s *gatewayScope) (*shardSet, error) {
	gw := s.gw
	var list corev1.SecretList
	if err := r.client.List(ctx, &list, client.InNamespace(gw.Namespace),
		client.MatchingLabels(resources.Labels(gw)), client.HasLabels{resources.LabelConfigShard}); err != nil {
		return nil, fmt.Errorf("listing the config shards of %s/%s: %w", gw.Namespace, gw.Name, err)
	}
	ss := &shardSet{existing: map[string]*corev1.Secret{}}
	for i := range list.Items {
		sec := &list.Items[i]
		if ref := metav1.GetControllerOf(sec); ref != nil && ref.UID == gw.UID {
			ss.existing[sec.Name] = sec
		}
	}
	for _, sh := range s.dist.Shards {
		want := resources.ConfigShardSecret(gw, sh)
		ss.wanted = append(ss.wanted, want.Name)
		if have := ss.existing[want.Name]; have != nil && bytes.Equal(have.Data[config.SecretKey], sh.Data) {
			continue
		}
		if err := r.apply(ctx, want); err != nil {
			return nil, err
		}
	}
	slices.Sort(ss.wanted)
	return ss, nil
}

// pruneShards deletes the shard Secrets the new root does not name, then
// trims the Role to the root and its shards.
func (r *AIGatewayReconciler) pruneShards(ctx context.Context, s *gatewayScope, ss *shardSet) error {
	stale := false
	for name, sec := range ss.existing {
		if slices.Contains(ss.wanted, name) {
			continue
		}
		stale = true
		if err := r.client.Delete(ctx, sec, client.Preconditions{UID: ptr(sec.UID)}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting config shard %s/%s: %w", sec.Namespace, sec.Name, err)
		}
	}
	if !stale {
		return nil
	}
	return r.apply(ctx, resources.Role(s.gw, ss.wanted))
}
