package limits

import "github.com/tollgate-dev/tollgate/internal/redispipe"

// While redis-cli --cluster reshard (or CLUSTER SETSLOT and MIGRATE) moves
// a slot, the two nodes answer a command on it with ASK (the keys are on
// the other node), MOVED (the move is over) or TRYAGAIN: a script whose
// keys are split between the nodes, or that creates a key on the slot
// (every settlement creates its marker), is not run until the slot has
// moved. None of these ran the command, so it is sent again. The client
// follows ASK and MOVED at once and retries TRYAGAIN itself up to
// MaxRedirects times without a pause (MinRetryBackoff -1: its own pauses
// would outlast the store's 50 ms timeout); the store then waits a little
// and sends it again while the call's timeout lasts (redispipe.WaitSlotMove).
//
// A call that still finds the slot moving when its timeout ends fails
// with errSlotMoving: that request gets the failure mode (Closed refuses
// it, Open counts it locally), and a settlement goes back to the settler
// for its next attempt, but the circuit stays closed: one slot moving is
// not the store down, and the other consumers' requests go on.

// errSlotMoving is a call refused for its whole timeout because a Cluster
// slot it touches was being moved (redispipe's, so the batches' and the
// single calls' refusals are one error).
var errSlotMoving = redispipe.ErrSlotMoving
