// Package scalefig carries the figures of the opt-in scale run (`make
// scale`) from the programs and tests that measure them to the report
// that prints the table (hack/scalereport). Each figure is one
// JSON line appended to the file named by $TOLLGATE_SCALE_FIGURES; with
// the variable unset, Record does nothing, so the tests run alone as
// before.
package scalefig

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
)

// Env names the file the figures are appended to.
const Env = "TOLLGATE_SCALE_FIGURES"

// The figures of the table, by key.
const (
	ColdServed      = "cold-served"       // n Consumers from cold → every key served
	ChangeCompile   = "change-compile"    // one-Consumer change: compile + split (incremental)
	ChangeServed    = "change-served"     // one-Consumer change: the gateway serving it
	AppliedToServed = "applied-to-served" // one-Consumer change through a real API server: Create → the proxy serves its key
	FullCompile     = "full-compile"      // full compile + split from cold
	OperatorRSS     = "operator-rss"      // the operator process's peak RSS
	GatewayMemory   = "gateway-memory"    // the gateway's memory held by the loaded config
	APIWrites       = "api-writes"        // API writes per minute in steady state
)

// Figure is one measured value: Value is what the table shows, Consumers
// the count it was measured at, Source the command or test that measured
// it. Amount, where set, is the headline number in the unit the report
// names for the key (seconds, MiB), so it can draw a line through two
// counts.
type Figure struct {
	Key       string  `json:"key"`
	Consumers int     `json:"consumers"`
	Value     string  `json:"value"`
	Amount    float64 `json:"amount,omitempty"`
	Source    string  `json:"source"`
}

var mu sync.Mutex

// Record appends f to the figures file, if one is named.
func Record(f Figure) error {
	path := os.Getenv(Env)
	if path == "" {
		return nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encoding the figure %s: %w", f.Key, err)
	}
	mu.Lock()
	defer mu.Unlock()
	file, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening the scale figures: %w", err)
	}
	_, werr := file.Write(append(b, '\n'))
	if err := errors.Join(werr, file.Close()); err != nil {
		return fmt.Errorf("writing the scale figures: %w", err)
	}
	return nil
}

// Read returns every figure in the file at path, in the order written.
func Read(path string) ([]Figure, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the scale figures: %w", err)
	}
	defer func() { _ = file.Close() }()
	var out []Figure
	sc := bufio.NewScanner(file)
	for line := 1; sc.Scan(); line++ {
		var f Figure
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		out = append(out, f)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return out, nil
}
