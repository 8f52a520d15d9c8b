package config

import (
	"strings"
	"testing"
)

// TestSessionAffinityValidate: the contract refuses what the CRD refuses.
func TestSessionAffinityValidate(t *testing.T) {
	for _, tc := range []struct {
		a    SessionAffinity
		want string
	}{
		{SessionAffinity{Mode: AffinitySession}, ""},
		{SessionAffinity{Mode: AffinitySession, Header: "X-Conversation"}, ""},
		{SessionAffinity{Mode: AffinityNone}, ""},
		{SessionAffinity{Mode: "Sticky"}, "unsupported value"},
		{SessionAffinity{Mode: AffinityNone, Header: "X-Conversation"}, "only read when mode is Session"},
		{SessionAffinity{Mode: AffinitySession, Header: "authorization"}, "credential header"},
		{SessionAffinity{Mode: AffinitySession, Header: "X Bad"}, "not a header name"},
	} {
		v := &validator{}
		tc.a.validate(v, "r")
		got := ""
		if len(v.errs) > 0 {
			got = v.errs[0].Error()
		}
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%+v: got %q, want %q", tc.a, got, tc.want)
		}
	}
}
