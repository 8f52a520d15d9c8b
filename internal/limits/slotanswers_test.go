package limits

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// slotAnswers counts the slot-move answers (MOVED, ASK, TRYAGAIN) the
// Cluster nodes gave an engine's store: what the client had to follow.
type slotAnswers struct {
	mu sync.Mutex
	n  map[string]int
}

// countSlotAnswers hooks every node client e's Cluster store opens from
// now on.
func countSlotAnswers(t *testing.T, e *Engine) *slotAnswers {
	t.Helper()
	return hookSlotAnswers(t, e.b.primary.(*Redis))
}

// hookSlotAnswers hooks every node client r's Cluster client opens from
// now on.
func hookSlotAnswers(t *testing.T, r *Redis) *slotAnswers {
	t.Helper()
	cc, ok := r.client.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("the store's client is %T, want a Cluster client", r.client)
	}
	a := &slotAnswers{n: map[string]int{}}
	cc.OnNewNode(func(c *redis.Client) { c.AddHook(a) })
	return a
}

func (a *slotAnswers) get(kind string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[kind]
}

func (a *slotAnswers) note(err error) {
	for _, kind := range []string{"MOVED", "ASK", "TRYAGAIN"} {
		if redis.HasErrorPrefix(err, kind+" ") || (kind == "TRYAGAIN" && redis.HasErrorPrefix(err, kind)) {
			a.mu.Lock()
			a.n[kind]++
			a.mu.Unlock()
			return
		}
	}
}

func (a *slotAnswers) DialHook(next redis.DialHook) redis.DialHook { return next }

func (a *slotAnswers) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if got := err; got != nil {
			a.note(got) // the client sets the command's error after its hooks
		} else {
			a.note(cmd.Err())
		}
		return err
	}
}

func (a *slotAnswers) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			if !strings.EqualFold(c.Name(), "asking") {
				a.note(c.Err())
			}
		}
		return err
	}
}
