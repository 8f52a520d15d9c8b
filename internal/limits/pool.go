package limits

import (
	"context"
	"fmt"
	"strings"
)

// poolTag starts the hash tag of a pooled policy's counters. An escaped
// consumer name never holds ':', so no consumer's tag can equal a pool's.
const poolTag = ":pool:"

// A request of a consumer under a pooled policy touches counters of two
// hash tags (the pool's and its own), which Redis Cluster keeps in
// different slots: no one script can check both. reserveByTag reserves
// one tag's counters at a time, pools first, each group all or nothing
// in its own script; when a later group refuses, the groups already
// reserved are given back (an unchecked Add of minus the amounts).
//
// The guarantee, whatever the concurrency and the number of replicas: no
// counter ever goes above its limit by a reservation (each group's check
// and increment is one atomic script). What is not atomic is the pair: in
// the time between a pool's reservation and its compensation the pool
// holds an amount that is then given back, so a concurrent request may be
// refused by the pool although it would have fitted (a false refusal,
// never an overrun). If the compensation cannot be written (the store
// went down between the two scripts), the pool keeps that amount until
// its window ends: the budget errs on the side of refusing.

// group is the counters of one hash tag and their positions in the call.
type group struct {
	cs  []Counter
	pos []int
}

// byTag splits counters by hash tag, pool tags first, each in order of
// first appearance; nil when they all share one tag.
func byTag(cs []Counter) []group {
	if len(cs) == 0 {
		return nil
	}
	first := hashTag(cs[0].Key)
	same := true
	for _, c := range cs[1:] {
		if hashTag(c.Key) != first {
			same = false
			break
		}
	}
	if same {
		return nil
	}
	var pools, rest []group
	at := map[string][2]int{} // tag → (0 pool / 1 rest, index)
	for i, c := range cs {
		tag := hashTag(c.Key)
		w, ok := at[tag]
		if !ok {
			if strings.HasPrefix(tag, poolTag) {
				w = [2]int{0, len(pools)}
				pools = append(pools, group{})
			} else {
				w = [2]int{1, len(rest)}
				rest = append(rest, group{})
			}
			at[tag] = w
		}
		g := &rest
		if w[0] == 0 {
			g = &pools
		}
		(*g)[w[1]].cs = append((*g)[w[1]].cs, c)
		(*g)[w[1]].pos = append((*g)[w[1]].pos, i)
	}
	return append(pools, rest...)
}

// reserveByTag is s.Reserve for counters of several hash tags (see above).
func reserveByTag(ctx context.Context, s Store, cs []Counter) (Reservation, error) {
	groups := byTag(cs)
	if groups == nil {
		return s.Reserve(ctx, cs)
	}
	out := Reservation{OK: true, Values: make([]int64, len(cs))}
	for gi, g := range groups {
		res, err := s.Reserve(ctx, g.cs)
		if err == nil && res.OK {
			for j, i := range g.pos {
				out.Values[i] = res.Values[j]
			}
			continue
		}
		if cerr := giveBack(ctx, s, groups[:gi], out.Values); cerr != nil && err == nil {
			err = cerr
		}
		if err != nil {
			return Reservation{}, err
		}
		for j, i := range g.pos {
			out.Values[i] = res.Values[j]
		}
		return Reservation{Failed: g.pos[res.Failed], Values: out.Values}, nil
	}
	return out, nil
}

// giveBack undoes the reservations of groups, setting vals to the
// counters after it.
func giveBack(ctx context.Context, s Store, groups []group, vals []int64) error {
	for _, g := range groups {
		undo := make([]Counter, len(g.cs))
		for j, c := range g.cs {
			c.Amount, c.Limit = -c.Amount, 0
			undo[j] = c
		}
		v, err := s.Add(context.WithoutCancel(ctx), undo)
		if err != nil {
			return fmt.Errorf("limits: giving back a pool's reservation: %w", err)
		}
		for j, i := range g.pos {
			vals[i] = v[j]
		}
	}
	return nil
}

// addByTag is s.Add for counters of several hash tags: one Add per tag.
func addByTag(ctx context.Context, s Store, cs []Counter) ([]int64, error) {
	groups := byTag(cs)
	if groups == nil {
		return s.Add(ctx, cs)
	}
	vals := make([]int64, len(cs))
	for _, g := range groups {
		v, err := s.Add(ctx, g.cs)
		if err != nil {
			return nil, err
		}
		for j, i := range g.pos {
			vals[i] = v[j]
		}
	}
	return vals, nil
}
