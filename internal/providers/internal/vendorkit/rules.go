package vendorkit

import "regexp"

// DateVersion matches a vendor API version that is a date, optionally a
// preview one: 2024-10-21, 2024-10-01-preview (the pattern of the API's
// markers).
var DateVersion = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$`)
