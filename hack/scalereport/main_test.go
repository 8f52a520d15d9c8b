package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/scalefig"
)

func TestExtrapolateIsTheLineThroughTheCounts(t *testing.T) {
	figs := []scalefig.Figure{{Consumers: 10_000, Amount: 175}, {Consumers: 30_000, Amount: 387}}
	got, ok := extrapolate(figs, 100_000)
	// 10.6 MiB per 1,000 from 175 at 10,000: 175 + 90 × 10.6 = 1,129.
	if !ok || math.Abs(got-1129) > 0.5 {
		t.Fatalf("extrapolate = %v, %v; want 1129", got, ok)
	}
	if _, ok := extrapolate(figs[:1], 100_000); ok {
		t.Fatal("a line drawn through one count")
	}
	if _, ok := extrapolate(append(figs, scalefig.Figure{Consumers: 100_000, Amount: 1}), 100_000); ok {
		t.Fatal("extrapolated to a count that was measured")
	}
}

func TestReportShowsEveryRowAndWhatWasNotMeasured(t *testing.T) {
	var b bytes.Buffer
	report(&b, []scalefig.Figure{
		{Key: scalefig.ColdServed, Consumers: 10_000, Value: "12 s", Source: "old"},
		{Key: scalefig.ColdServed, Consumers: 10_000, Value: "9.5 s", Amount: 9.5, Source: "TestColdConvergence"},
		{Key: scalefig.OperatorRSS, Consumers: 30_000, Value: "387 MiB", Amount: 387, Source: "TestColdConvergence"},
		{Key: scalefig.OperatorRSS, Consumers: 10_000, Value: "175 MiB", Amount: 175, Source: "TestColdConvergence"},
	})
	out := b.String()
	for _, want := range []string{
		"| 10,000 Consumers from cold → every key served | < 60 s on 2 cores | 9.5 s at 10,000 (TestColdConvergence) |",
		"175 MiB at 10,000 (TestColdConvergence); 387 MiB at 30,000 (TestColdConvergence); extrapolated, not measured: about 1129 MiB at 100,000",
		"| 100,000 Consumers: full compile from cold | < 10 s | not measured in this run |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "12 s") {
		t.Errorf("an older figure at the same count was printed:\n%s", out)
	}
	if got := strings.Count(out, "\n| "); got != len(rows)+1 {
		t.Errorf("%d table lines, want %d rows and the header", got, len(rows))
	}
}
