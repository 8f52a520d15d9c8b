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
// among consumers matching at that kind the one whose name sorts first.
func (ix *Index) Resolve(id *Identity) (int, Kind) {
	for _, k := range []Kind{BySubject, ByEmail, ByGroup} {
		best := -1
		for _, value := range id.values(k) {
			for _, iss := range []string{id.Issuer, ""} {
				if l := ix.by[selector{k, iss, value}]; len(l) > 0 && (best < 0 || ix.names[l[0]] < ix.names[best]) {
					best = l[0]
				}
			}
		}
		if best >= 0 {
			return best, k
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

// Shadow says that a consumer's identity match never wins: another
// consumer names the same selector and sorts first.
type Shadow struct {
	Consumer string // the losing consumer
	Winner   string
	Message  string
}

// Shadowed lists, in consumer order, the consumers with a match that
// another consumer always wins (the same subject, email or group): the
// operator reports them in a condition. Matches of different kinds that
// meet on one token (a subject of one consumer in another's group) are
// decided per token by Resolve.
func Shadowed(consumers []config.Consumer) []Shadow {
	ix := NewIndex(consumers)
	var out []Shadow
	seen := map[string]bool{}
	for i := range consumers {
		for _, m := range consumers[i].Identities {
			s := selectorOf(m)
			l := ix.by[s]
			if l[0] == i || seen[consumers[i].Name] {
				continue
			}
			seen[consumers[i].Name] = true
			iss := s.issuer
			if iss == "" {
				iss = "any issuer"
			}
			out = append(out, Shadow{Consumer: consumers[i].Name, Winner: ix.names[l[0]],
				Message: fmt.Sprintf("identities matching %s %q of %s map to consumer %q (the same match; its name sorts first)", s.kind, s.value, iss, ix.names[l[0]])})
		}
	}
	return out
}
