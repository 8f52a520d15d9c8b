// Command scalereport prints the table of issue 16's targets with the
// figures the scale run (`make scale`) recorded in the file named by
// $TOLLGATE_SCALE_FIGURES (see test/scalefig): every figure measured,
// at the count it was measured at, and where 100,000 was not run, the
// straight line through the counts that were, labelled as extrapolated.
package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/tollgate-dev/tollgate/test/scalefig"
)

// row is one line of the table and the figures that answer it.
type row struct {
	figure, target string
	keys           []string
	unit           string // of Amount, for the extrapolation; "" draws none
}

var rows = []row{
	{"10,000 Consumers from cold → every key served", "< 60 s on 2 cores", []string{scalefig.ColdServed}, "s"},
	{"100,000 Consumers: compile + distribute a one-Consumer change", "< 2 s", []string{scalefig.ChangeCompile}, ""},
	{"… the gateway serving it after the apply", "< 3 s", []string{scalefig.ChangeServed, scalefig.AppliedToServed}, ""},
	{"100,000 Consumers: full compile from cold", "< 10 s", []string{scalefig.FullCompile}, ""},
	{"operator RSS with 100,000 Consumers", "< 1.5 GiB", []string{scalefig.OperatorRSS}, "MiB"},
	{"gateway RSS with 100,000 Consumers; key lookup cost flat in the count", "< 512 MiB; flat", []string{scalefig.GatewayMemory}, ""},
	{"API writes per minute in steady state", "bounded and documented (< 1,000/min)", []string{scalefig.APIWrites}, ""},
}

func main() {
	path := os.Getenv(scalefig.Env)
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	if path == "" {
		fmt.Fprintf(os.Stderr, "usage: scalereport FIGURES (or set %s)\n", scalefig.Env)
		os.Exit(2)
	}
	figs, err := scalefig.Read(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	report(os.Stdout, figs)
}

func report(w io.Writer, figs []scalefig.Figure) {
	fmt.Fprintf(w, "\n# issue 16: the targets and what this run measured\n\n")
	fmt.Fprintf(w, "| figure | target | measured |\n|---|---|---|\n")
	for _, r := range rows {
		var cells []string
		var line []scalefig.Figure
		for _, key := range r.keys {
			for _, f := range byCount(figs, key) {
				cells = append(cells, fmt.Sprintf("%s at %s (%s)", f.Value, count(f.Consumers), f.Source))
				if f.Amount > 0 {
					line = append(line, f)
				}
			}
		}
		if r.unit != "" {
			if x, ok := extrapolate(line, 100_000); ok {
				cells = append(cells, fmt.Sprintf("extrapolated, not measured: about %.0f %s at 100,000 (a straight line through %d counts)", x, r.unit, len(line)))
			}
		}
		if len(cells) == 0 {
			cells = []string{"not measured in this run"}
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.figure, r.target, strings.Join(cells, "; "))
	}
}

// byCount returns the figures of key, the last one recorded at each
// count, smallest count first.
func byCount(figs []scalefig.Figure, key string) []scalefig.Figure {
	last := map[int]scalefig.Figure{}
	for _, f := range figs {
		if f.Key == key {
			last[f.Consumers] = f
		}
	}
	out := make([]scalefig.Figure, 0, len(last))
	for _, f := range last {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b scalefig.Figure) int { return cmp.Compare(a.Consumers, b.Consumers) })
	return out
}

// extrapolate fits a least-squares line through the figures' (count,
// amount) points and reads it at n; it draws none from fewer than two
// counts, or when n itself was measured.
func extrapolate(figs []scalefig.Figure, n int) (float64, bool) {
	if len(figs) < 2 {
		return 0, false
	}
	var sx, sy, sxx, sxy float64
	for _, f := range figs {
		if f.Consumers == n {
			return 0, false
		}
		x, y := float64(f.Consumers), f.Amount
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	k := float64(len(figs))
	den := k*sxx - sx*sx
	if den == 0 {
		return 0, false
	}
	slope := (k*sxy - sx*sy) / den
	return (sy-slope*sx)/k + slope*float64(n), true
}

func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
