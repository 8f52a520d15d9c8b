//go:build race

package proxy

// raceEnabled: the race detector instruments memory accesses and
// allocates for itself, so allocation counts under -race are not the
// gateway's.
const raceEnabled = true
