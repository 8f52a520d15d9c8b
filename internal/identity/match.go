package identity

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Kind is how specific a consumer's identity match is; lower wins.
type Kind int

const (
	BySubject Kind = iota
	ByEmail
	ByGroup
)

func (k Kind) String() string { return [...]string{"subject", "email", "group"}[k] }

type selector struct {
	kind   Kind
	issuer string // "" for any
	value  string
}

// Index maps identities to consumers. Consumers are referred to by their
// index in the slice Index was built from.
type Index struct {
	// by holds, per selector, the consumers that name it in name order.
	by    map[selector][]int
	names []string
}

// NewIndex indexes the identity matches of consumers. Disabled
// consumers are indexed too: an identity they win is refused, not handed
// to the next match.
func NewIndex(consumers []config.Consumer) *Index {
	ix := &Index{by: map[selector][]int{}, names: make([]string, len(consumers))}
	for i := range consumers {
		ix.names[i] = consumers[i].Name
		for _, m := range consumers[i].Identities {
			s := selectorOf(m)
			if !slices.Contains(ix.by[s], i) {
				ix.by[s] = append(ix.by[s], i)
			}
		}
	}
	for _, l := range ix.by {
		slices.SortFunc(l, func(a, b int) int { return strings.Compare(ix.names[a], ix.names[b]) })
	}
	return ix
}

func selectorOf(m config.IdentityMatch) selector {
	switch {
	case m.Subject != "":
		return selector{BySubject, m.Issuer, m.Subject}
	case m.Email != "":
		return selector{ByEmail, m.Issuer, strings.ToLower(m.Email)}
	}
	return selector{ByGroup, m.Issuer, m.Group}
}

// Resolve returns the consumer an identity maps to and how, or -1: the
// most specific kind of match wins (subject, then email, then group);
// within a kind a match bound to the token's issuer wins over one of any
// issuer, and among consumers matching alike the one whose name sorts
// first.
func (ix *Index) Resolve(id *Identity) (int, Kind) {
	for _, k := range []Kind{BySubject, ByEmail, ByGroup} {
		for _, iss := range []string{id.Issuer, ""} {
			best := -1
			for _, value := range id.values(k) {
				if l := ix.by[selector{k, iss, value}]; len(l) > 0 && (best < 0 || ix.names[l[0]] < ix.names[best]) {
					best = l[0]
				}
			}
			if best >= 0 {
				return best, k
			}
		}
	}
	return -1, 0
}

func (id *Identity) values(k Kind) []string {
	switch k {
	case BySubject:
		return []string{id.Subject}
	case ByEmail:
		if id.Email == "" {
			return nil
		}
		return []string{id.Email}
	}
	return id.Groups
}

// Shadow says that some identity matches of a consumer never win:
// another consumer names the same match and sorts first.
type Shadow struct {
	Consumer string // the losing consumer
	Message  string
}

// maxShadowsListed bounds the matches one Shadow message names.
const maxShadowsListed = 3

// Shadowed lists, in the order of consumers, the consumers with a match
// that another consumer always wins (the same subject, email or group of
// the same issuer, or both of any issuer): the operator reports them in
// the IdentitiesUnique condition. Matches that meet only on some tokens (a
// subject of one consumer in another's group, an issuer-bound match and
// one of any issuer) are decided per token by Resolve, the more specific
// winning, and are not reported.
func Shadowed(consumers []config.Consumer) []Shadow {
	ix := NewIndex(consumers)
	var out []Shadow
	for i := range consumers {
		var lost []string
		seen := map[selector]bool{}
		for _, m := range consumers[i].Identities {
			s := selectorOf(m)
			if l := ix.by[s]; l[0] == i || seen[s] {
				continue
			}
			seen[s] = true
			iss := "any issuer"
			if s.issuer != "" {
				iss = "issuer " + s.issuer
			}
			lost = append(lost, fmt.Sprintf("%s %q of %s goes to Consumer %q", s.kind, s.value, iss, ix.names[ix.by[s][0]]))
		}
		if len(lost) == 0 {
			continue
		}
		more := ""
		if len(lost) > maxShadowsListed {
			more = fmt.Sprintf(" and %d more", len(lost)-maxShadowsListed)
			lost = lost[:maxShadowsListed]
		}
		out = append(out, Shadow{Consumer: consumers[i].Name, Message: fmt.Sprintf(
			"Another Consumer names the same identity match and wins it (its name sorts first): %s%s. Remove the match from one of the two.",
			strings.Join(lost, "; "), more)})
	}
	return out
}
