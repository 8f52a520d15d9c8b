package limits

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// While redis-cli --cluster reshard (or CLUSTER SETSLOT and MIGRATE) moves
// a slot, the two nodes answer a command on it with ASK (the keys are on
// the other node), MOVED (the move is over) or TRYAGAIN: a script whose
// keys are split between the nodes, or that creates a key on the slot
// (every settlement creates its marker), is not run until the slot has
// moved. None of these ran the command, so it is sent again. The client
// follows ASK and MOVED at once and retries TRYAGAIN itself up to
// MaxRedirects times without a pause (MinRetryBackoff -1: its own pauses
// would outlast the store's 50 ms timeout); the store then waits a little
// and sends it again while the call's timeout lasts (waitSlotMove).
//
// A call that still finds the slot moving when its timeout ends fails
// with errSlotMoving: that request gets the failure mode (Closed refuses
// it, Open counts it locally), and a settlement goes back to the settler
// for its next attempt, but the circuit stays closed: one slot moving is
// not the store down, and the other consumers' requests go on.

// errSlotMoving is a call refused for its whole timeout because a Cluster
// slot it touches was being moved.
var errSlotMoving = errors.New("redis limit store: the Cluster slot is being moved")

// slotRetryWait is the first pause before a command refused by a moving
// slot is sent again; it doubles up to slotRetryMaxWait.
const (
	slotRetryWait    = time.Millisecond
	slotRetryMaxWait = 16 * time.Millisecond
)

// slotMoving reports whether err is a slot-move answer (the command was
// not run).
func slotMoving(err error) bool {
	return redis.HasErrorPrefix(err, "TRYAGAIN") || redis.HasErrorPrefix(err, "ASK ") || redis.HasErrorPrefix(err, "MOVED ")
}

// waitSlotMove pauses before attempt+1 (from 0) of a command a moving
// slot refused; false, without waiting, when ctx would end first.
func waitSlotMove(ctx context.Context, attempt int) bool {
	d := min(slotRetryWait<<min(attempt, 8), slotRetryMaxWait)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// outOfTime reports whether ctx has ended or reached its deadline. A
// command cut by its connection's deadline (go-redis sets it from ctx's)
// can fail with an i/o timeout before ctx's own timer has fired.
func outOfTime(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
