package vendorkit

import "github.com/tollgate-dev/tollgate/internal/providers"

// ListPages reads a paginated model listing for a vendor's ListModels:
// page(cursor) reads one page ("" is the first) and returns its model
// names and the cursor of the next page, "" after the last. It stops after
// providers.MaxListPages pages, or when a vendor hands the same cursor
// back, so a broken listing cannot loop.
func ListPages(page func(cursor string) (names []string, next string, err error)) ([]string, error) {
	var out []string
	cursor := ""
	for range providers.MaxListPages {
		names, next, err := page(cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, names...)
		if next == "" || next == cursor {
			break
		}
		cursor = next
	}
	return out, nil
}
