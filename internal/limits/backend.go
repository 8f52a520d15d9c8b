package limits

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// DefaultBackoff is how long the engine stops calling an unreachable shared
// store before one request probes it again.
const DefaultBackoff = time.Second

// backend holds the counter stores and the circuit around the shared one.
// Engines rebuilt by Reload share a backend while the store settings are
// unchanged, so counters survive a config reload.
type backend struct {
	primary  Store
	fallback *Local // the degraded store; nil when primary is local
	remote   bool   // primary is shared (Redis): it can fail and is circuit-guarded
	settings config.LimitsStore
	custom   Store // set when the primary came from WithStore
	m        *metrics
	now      func() time.Time
	backoff  time.Duration
	refs     atomic.Int32
	settler  *settler // background settlements; nil unless remote and async
	leases   *leases  // Lease enforcement; nil unless remote and Lease

	mu        sync.Mutex
	failing   bool
	openUntil time.Time
	probing   bool
}

func (b *backend) sameSettings(ls config.LimitsStore, custom Store) bool {
	if custom != nil || b.custom != nil {
		return custom == b.custom
	}
	return b.settings.Type == ls.Type && b.settings.Enforcement == ls.Enforcement && reflect.DeepEqual(b.settings.Redis, ls.Redis)
}

// acquire says whether this call may use the shared store; probe is true
// when it is the one call that tests a store that was failing.
func (b *backend) acquire() (use, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !b.failing:
		return true, false
	case b.probing || b.now().Before(b.openUntil):
		return false, false
	default:
		b.probing = true
		return true, true
	}
}

// succeeded closes the circuit.
func (b *backend) succeeded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failing {
		b.failing, b.probing = false, false
		b.m.degraded.Set(0)
	}
}

// failed opens the circuit for the backoff.
func (b *backend) failed(op string) {
	b.m.storeErrors.WithLabelValues(op).Inc()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failing, b.probing = true, false
	b.openUntil = b.now().Add(b.backoff)
	b.m.degraded.Set(1)
}

// abandoned ends a call the caller cancelled: the store is not blamed.
func (b *backend) abandoned(probe bool) {
	if !probe {
		return
	}
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

// isDegraded reports whether the shared store is currently considered down.
func (b *backend) isDegraded() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failing
}

// call runs fn on the shared store through the circuit. It returns
// used=false without calling fn while the circuit is open; err is the
// store's error (already counted) or the caller's context error.
func (b *backend) call(ctx context.Context, op string, fn func(Store) error) (used bool, err error) {
	if !b.remote {
		return true, fn(b.primary)
	}
	use, probe := b.acquire()
	if !use {
		return false, nil
	}
	err = fn(b.primary)
	switch {
	case err == nil:
		b.succeeded()
	case ctx.Err() != nil:
		b.abandoned(probe)
	case errors.Is(err, errStoreBusy):
		// Overloaded here, not down there: the circuit stays as it was.
		b.m.storeErrors.WithLabelValues(op + "_busy").Inc()
		b.abandoned(probe)
	case errors.Is(err, errSlotMoving):
		// One Cluster slot being moved, not the store down: the circuit
		// stays as it was (this call gets the failure mode).
		b.m.storeErrors.WithLabelValues(op + "_slot_moving").Inc()
		b.abandoned(probe)
	default:
		b.failed(op)
	}
	return true, err
}

func (b *backend) release() error {
	if b.refs.Add(-1) > 0 {
		return nil
	}
	if b.leases != nil {
		b.leases.close() // give the leases back while the store is open
	}
	if b.settler != nil {
		b.settler.close() // write what is queued while the store is open
	}
	if b.custom != nil {
		return nil // the caller owns a store it passed in
	}
	return b.primary.Close()
}
