package vendorkit

import (
	"errors"
	"strconv"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

func TestListPages(t *testing.T) {
	// Three pages, then the end.
	got, err := ListPages(func(c string) ([]string, string, error) {
		n, _ := strconv.Atoi(c)
		if n == 2 {
			return []string{"m2"}, "", nil
		}
		return []string{"m" + strconv.Itoa(n)}, strconv.Itoa(n + 1), nil
	})
	if err != nil || len(got) != 3 || got[0] != "m0" || got[2] != "m2" {
		t.Errorf("ListPages = %v, %v; want m0 m1 m2", got, err)
	}
	// A vendor that never ends is read for MaxListPages pages.
	calls := 0
	got, err = ListPages(func(c string) ([]string, string, error) {
		calls++
		return []string{"m"}, strconv.Itoa(calls), nil
	})
	if err != nil || calls != providers.MaxListPages || len(got) != providers.MaxListPages {
		t.Errorf("endless listing: %d calls, %d names, %v; want %d", calls, len(got), err, providers.MaxListPages)
	}
	// A repeated cursor stops the listing.
	calls = 0
	if _, err = ListPages(func(string) ([]string, string, error) { calls++; return nil, "same", nil }); err != nil || calls != 2 {
		t.Errorf("repeated cursor: %d calls, %v; want 2", calls, err)
	}
	// An error is returned, with no names.
	boom := errors.New("boom")
	if got, err = ListPages(func(string) ([]string, string, error) { return []string{"x"}, "", boom }); !errors.Is(err, boom) || got != nil {
		t.Errorf("error: %v, %v", got, err)
	}
}
