package controller

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/internal/conditions"
)

// base is what every reconciler shares.
type base struct {
	// client reads from the manager's cache and writes to the API server.
	client client.Client
	// api reads straight from the API server: Secrets the operator does not
	// own are not in the cache (it is limited by label).
	api      client.Reader
	recorder events.EventRecorder
	now      func() time.Time
}

// apply server-side applies obj under the operator's field manager,
// taking over fields another manager set on what Tollgate owns.
func (b *base) apply(ctx context.Context, obj client.Object) error {
	// Typed objects built complete by internal/resources; the deprecated
	// Patch(client.Apply) is the typed form of server-side apply.
	//nolint:staticcheck // see above
	if err := b.client.Patch(ctx, obj, client.Apply, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// live reads the object key names into obj. It reports false, with no
// error, when the object is gone or being deleted: there is nothing to
// reconcile (its children go with it, by owner references).
func (b *base) live(ctx context.Context, key types.NamespacedName, obj client.Object) (bool, error) {
	if err := b.client.Get(ctx, key, obj); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	return obj.GetDeletionTimestamp().IsZero(), nil
}

// deleteIfOwned deletes the object named by key when it exists and is
// controlled by owner; a child that is no longer wanted.
func (b *base) deleteIfOwned(ctx context.Context, obj client.Object, owner metav1.Object) error {
	if err := b.client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("reading %T %s: %w", obj, obj.GetName(), err)
	}
	if ref := metav1.GetControllerOf(obj); ref == nil || ref.UID != owner.GetUID() {
		return nil
	}
	if err := b.client.Delete(ctx, obj, client.Preconditions{UID: ptr(obj.GetUID())}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %T %s: %w", obj, obj.GetName(), err)
	}
	return nil
}

// writeStatus patches the status subresource when it differs from before,
// and records one event per condition whose status or reason changed.
// before is a deep copy taken when the object was read.
func (b *base) writeStatus(ctx context.Context, before, after client.Object, beforeStatus, afterStatus any, beforeConds, afterConds []metav1.Condition) error {
	if equality.Semantic.DeepEqual(beforeStatus, afterStatus) {
		return nil
	}
	if err := b.client.Status().Patch(ctx, after, client.MergeFrom(before), client.FieldOwner(FieldOwner)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // deleted meanwhile
		}
		return fmt.Errorf("writing status of %s: %w", after.GetName(), err)
	}
	for _, c := range conditions.Changed(beforeConds, afterConds) {
		kind := "Normal"
		if c.Status != metav1.ConditionTrue {
			kind = "Warning"
		}
		b.recorder.Eventf(after, nil, kind, c.Reason, c.Type, "%s", c.Message)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
