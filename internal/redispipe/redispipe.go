// Package redispipe sends batches of Redis commands in one round trip per
// server in a way that stays correct on a Redis Cluster while its slots
// move (redis-cli --cluster reshard): the limits store's settlements and
// usage reads, and the activity log's writes, go through it.
//
// A batch of commands (a settlement batch, a page of usage reads, a batch
// of activity records) goes in one round trip per server. On a standalone or Sentinel Redis that is the
// client's pipeline. On a Cluster it is not the ClusterClient's pipeline:
// while a slot moves, go-redis v9.23.0 can put one command in two node
// pipelines of the same attempt. Its pipelineReadCmds queues a command
// that got MOVED or ASK for the node the answer names, and then, when the
// first command of that node's share got TRYAGAIN (or a read failed), it
// queues the whole share again by the slot map, that command included; the
// next attempt runs one goroutine per node, and two of them read replies
// into the one command (a data race under -race, and the command sent
// twice). So on a Cluster Send groups the commands by the master that
// owns their slot (the client's slot map) and sends one plain pipeline per
// master, each on its own goroutine with its own commands. A plain pipeline
// follows no redirect and retries nothing (MaxRetries -1), so a command a
// moving slot refused (MOVED, ASK, TRYAGAIN: none of them ran it) comes
// back with that answer, and only those are sent again, each alone through
// the ClusterClient, which follows MOVED and ASK (with ASKING) for one
// command on one goroutine, while the call's timeout lasts. Sending a
// settlement again is safe in any case: its marker makes a repeat a no-op.
package redispipe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrSlotMoving is a call refused for its whole timeout because a Cluster
// slot it touches was being moved.
var ErrSlotMoving = errors.New("redis: the Cluster slot is being moved")

// slotRetryWait is the first pause before a command refused by a moving
// slot is sent again; it doubles up to slotRetryMaxWait.
const (
	slotRetryWait    = time.Millisecond
	slotRetryMaxWait = 16 * time.Millisecond
)

// SlotMoving reports whether err is a slot-move answer (the command was
// not run).
func SlotMoving(err error) bool {
	return redis.HasErrorPrefix(err, "TRYAGAIN") || redis.HasErrorPrefix(err, "ASK ") || redis.HasErrorPrefix(err, "MOVED ")
}

// WaitSlotMove pauses before attempt+1 (from 0) of a command a moving
// slot refused; false, without waiting, when ctx would end first.
func WaitSlotMove(ctx context.Context, attempt int) bool {
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

// OutOfTime reports whether ctx has ended or reached its deadline. A
// command cut by its connection's deadline (go-redis sets it from ctx's)
// can fail with an i/o timeout before ctx's own timer has fired.
func OutOfTime(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// resendParallel bounds the commands of one batch sent again alone at the
// same time (each takes a connection of its node's pool).
const resendParallel = 8

// Send sends len(keys) commands through client and returns them answered: build(i)
// makes command i (a new one for each send), and keys[i] is a key of it
// (all of its keys share that key's slot), which routes it on a Cluster.
// When script is set, commands that found it not loaded (NOSCRIPT) load it
// on every node once and are sent again. On a Cluster, a command a moving
// slot still refused when ctx ends holds ErrSlotMoving (with the answer).
// Every outcome is on the commands.
func Send[C redis.Cmder](ctx context.Context, client redis.UniversalClient, script *redis.Script, keys []string, build func(i int) C) []C {
	cluster, _ := client.(*redis.ClusterClient)
	cmds := make([]C, len(keys))
	sendable := make([]redis.Cmder, len(keys)) // cmds, as the client takes them
	piped := make([]int, len(keys))            // sent in the pipelines next
	for i := range keys {
		piped[i] = i
	}
	var alone []int                   // refused by a moving slot: sent alone next
	moving := make([]bool, len(keys)) // refused by a moving slot once
	loaded := false
	for attempt := 0; len(piped)+len(alone) > 0; attempt++ {
		sent := append(piped[:len(piped):len(piped)], alone...)
		for _, i := range sent {
			cmds[i] = build(i)
			sendable[i] = cmds[i]
		}
		pipelined(ctx, client, cluster, keys, sendable, piped)
		sendAlone(ctx, client, sendable, alone)
		piped, alone = nil, nil
		var noScript []int
		for _, i := range sent {
			err := cmds[i].Err()
			switch {
			case err == nil:
			case script != nil && !loaded && redis.HasErrorPrefix(err, "NOSCRIPT"):
				noScript = append(noScript, i)
			case cluster != nil && SlotMoving(err):
				alone = append(alone, i)
				moving[i] = true
			case moving[i] && OutOfTime(ctx):
				// Sent again for a moving slot, it ran out of time on
				// the way: still the slot, not the store down.
				cmds[i].SetErr(fmt.Errorf("%w: %w", ErrSlotMoving, err))
			}
		}
		if len(noScript) > 0 {
			// A restarted (or new Cluster) node lost the script: load it
			// on every node and send those again.
			loaded = true
			if err := script.Load(ctx, client).Err(); err != nil {
				for _, i := range noScript {
					cmds[i].SetErr(fmt.Errorf("loading the script: %w", err))
				}
			} else {
				piped = noScript
			}
		}
		if len(alone) > 0 && !WaitSlotMove(ctx, attempt) {
			for _, i := range alone {
				cmds[i].SetErr(fmt.Errorf("%w: %w", ErrSlotMoving, cmds[i].Err()))
			}
			break
		}
	}
	return cmds
}

// pipelined sends cmds[i] for each i of idx in one round trip per server:
// the client's pipeline on a standalone or Sentinel Redis; on a Cluster one
// plain pipeline per master that owns their slots (see above), the masters
// in parallel.
func pipelined(ctx context.Context, client redis.UniversalClient, cluster *redis.ClusterClient, keys []string, cmds []redis.Cmder, idx []int) {
	if len(idx) == 0 {
		return
	}
	if cluster == nil {
		pipe := client.Pipeline()
		for _, i := range idx {
			_ = pipe.Process(ctx, cmds[i])
		}
		_, _ = pipe.Exec(ctx) // every command holds its outcome
		return
	}
	byNode := map[*redis.Client][]redis.Cmder{}
	for _, i := range idx {
		node, err := cluster.MasterForKey(ctx, keys[i])
		if err != nil {
			cmds[i].SetErr(fmt.Errorf("finding the node of its slot: %w", err))
			continue
		}
		byNode[node] = append(byNode[node], cmds[i])
	}
	var wg sync.WaitGroup
	for node, cs := range byNode {
		wg.Go(func() {
			pipe := node.Pipeline()
			for _, c := range cs {
				_ = pipe.Process(ctx, c)
			}
			_, _ = pipe.Exec(ctx) // every command holds its outcome
		})
	}
	wg.Wait()
}

// sendAlone sends cmds[i] for each i of idx as a command of its own
// through the client (on a Cluster it follows MOVED and ASK), up to
// resendParallel at a time.
func sendAlone(ctx context.Context, client redis.UniversalClient, cmds []redis.Cmder, idx []int) {
	sem := make(chan struct{}, resendParallel)
	var wg sync.WaitGroup
	for _, i := range idx {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_ = client.Process(ctx, cmds[i]) // the outcome is on the command
		})
	}
	wg.Wait()
}
