package console

import (
	"math"
	"sort"

	"github.com/tollgate-dev/tollgate/internal/limits"
)

// splitByProvider turns one model's limits totals into rows per provider.
// The limits counters are the truth for the totals (shared by every
// replica); the Recorder only knows how this replica's requests were spread
// over providers, so the totals are divided in those proportions. Each
// figure is split by its own proportion (input tokens by input tokens...),
// so on a single replica the rows equal what the Recorder counted.
// Without Recorder data the model's only provider gets everything, or no
// provider ("") when several may have served it.
func splitByProvider(consumer, model string, total limits.ModelUsage, seen map[modelProvider]Counts, candidates []string) []UsageRow {
	var names []string
	var parts []Counts
	for mp := range seen {
		if mp.model == model {
			names = append(names, mp.provider)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		parts = append(parts, seen[modelProvider{model, n}])
	}
	if len(names) == 0 {
		provider := ""
		if len(candidates) == 1 {
			provider = candidates[0]
		}
		return []UsageRow{{Consumer: consumer, Model: model, Provider: provider, Requests: total.Requests,
			InputTokens: total.InputTokens, OutputTokens: total.OutputTokens, CostUSD: total.CostUSD}}
	}
	weights := func(f func(Counts) float64) []float64 {
		w := make([]float64, len(parts))
		sum := 0.0
		for i, c := range parts {
			w[i] = f(c)
			sum += w[i]
		}
		if sum == 0 { // nothing of this kind seen: split like the requests
			for i, c := range parts {
				w[i] = float64(c.Requests)
			}
		}
		return w
	}
	req := apportion(total.Requests, weights(func(c Counts) float64 { return float64(c.Requests) }))
	in := apportion(total.InputTokens, weights(func(c Counts) float64 { return float64(c.InputTokens) }))
	out := apportion(total.OutputTokens, weights(func(c Counts) float64 { return float64(c.OutputTokens) }))
	cw := weights(func(c Counts) float64 { return c.CostUSD })
	cwSum := 0.0
	for _, w := range cw {
		cwSum += w
	}
	rows := make([]UsageRow, len(names))
	for i, n := range names {
		cost := 0.0
		if cwSum > 0 {
			cost = total.CostUSD * cw[i] / cwSum
		}
		rows[i] = UsageRow{Consumer: consumer, Model: model, Provider: n, Requests: req[i], InputTokens: in[i], OutputTokens: out[i], CostUSD: cost}
	}
	return rows
}

// apportion divides total into integer parts proportional to weights that
// add up to total exactly (largest remainder). Zero weights share equally.
func apportion(total int64, weights []float64) []int64 {
	out := make([]int64, len(weights))
	if len(weights) == 0 {
		return out
	}
	sum := 0.0
	for _, w := range weights {
		sum += max(w, 0)
	}
	if sum == 0 {
		weights = make([]float64, len(weights))
		for i := range weights {
			weights[i] = 1
		}
		sum = float64(len(weights))
	}
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(weights))
	var given int64
	for i, w := range weights {
		exact := float64(total) * max(w, 0) / sum
		out[i] = int64(math.Floor(exact))
		given += out[i]
		rems[i] = rem{i, exact - math.Floor(exact)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total; k = (k + 1) % len(rems) {
		out[rems[k].i]++
		given++
	}
	for k := 0; given > total; k = (k + 1) % len(rems) { // a negative total
		out[rems[k].i]--
		given--
	}
	return out
}
