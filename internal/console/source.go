package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
)

// Getter returns the config and limits engine being served now (the engine
// may be nil when no limits run). It is called on every console request, so
// a reloaded config is followed at once.
type Getter func() (*config.Config, *limits.Engine)

// FromConfig adapts one fixed config and limits engine (nil: usage comes
// from the Recorder alone) to the console's dependencies.
func FromConfig(cfg *config.Config, engine *limits.Engine) Deps {
	return FromFunc(func() (*config.Config, *limits.Engine) { return cfg, engine })
}

// FromFunc adapts whatever get returns at each request. The returned Deps
// carry a fresh Recorder that the proxy must feed.
func FromFunc(get Getter) Deps {
	s := &source{get: get, rec: NewRecorder(0), now: time.Now}
	return Deps{Enabled: s.enabled, Auth: s, Catalog: s, Usage: s, Recorder: s.rec}
}

// source implements Authenticator, Catalog and UsageSource from a config.
type source struct {
	get     Getter
	rec     *Recorder
	now     func() time.Time
	indexes atomic.Pointer[index] // built for the config pointer it holds
}

// usageWorkers bounds concurrent limits-store reads of an admin's report.
const usageWorkers = 4

func (s *source) enabled() bool {
	cfg, _ := s.get()
	return cfg != nil && cfg.Console.Enabled
}

// current returns the index of the config being served, building it once
// per config.
func (s *source) current() (*index, *limits.Engine) {
	cfg, eng := s.get()
	if cfg == nil {
		return nil, eng
	}
	if ix := s.indexes.Load(); ix != nil && ix.cfg == cfg {
		return ix, eng
	}
	ix := newIndex(cfg)
	s.indexes.Store(ix)
	return ix, eng
}

// Authenticate implements Authenticator.
func (s *source) Authenticate(r *http.Request) (Principal, bool) {
	ix, _ := s.current()
	if ix == nil {
		return Principal{}, false
	}
	return ix.authenticate(bearer(r.Header.Get("Authorization")), s.now())
}

// Models implements Catalog.
func (s *source) Models(p Principal) []ModelInfo {
	ix, _ := s.current()
	if ix == nil {
		return nil
	}
	var out []ModelInfo
	for _, m := range ix.models {
		if p.Admin || ix.allows(p.Consumer, m.ID) {
			out = append(out, m)
		}
	}
	return out
}

// Usage implements UsageSource: the limits counters when an engine runs
// (split by provider with the Recorder), else the Recorder alone.
func (s *source) Usage(ctx context.Context, p Principal) (UsageReport, error) {
	ix, eng := s.current()
	if ix == nil {
		return UsageReport{}, fmt.Errorf("console: no config loaded")
	}
	names := []string{p.Consumer}
	if p.Admin {
		names = ix.consumerNames
		if eng == nil {
			names = union(names, s.rec.consumers(s.now().AddDate(0, 0, -recorderKeepDays)))
		}
	}
	type result struct {
		win  ConsumerWindow
		rows []UsageRow
		err  error
	}
	results := make([]result, len(names))
	sem := make(chan struct{}, usageWorkers)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res := &results[i]
			if eng != nil {
				res.win, res.rows, res.err = s.fromLimits(ctx, ix, eng, name)
			} else {
				res.win, res.rows = s.fromRecorder(ix, name)
			}
		}()
	}
	wg.Wait()
	rep := UsageReport{Source: "recorder", Windows: []ConsumerWindow{}, Rows: []UsageRow{}}
	if eng != nil {
		rep.Source = "limits"
	}
	for _, res := range results {
		if res.err != nil {
			return UsageReport{}, res.err
		}
		if p.Admin && len(res.rows) == 0 {
			continue // an admin sees the consumers that used something
		}
		rep.Windows = append(rep.Windows, res.win)
		rep.Rows = append(rep.Rows, res.rows...)
	}
	return rep, nil
}

func (s *source) fromLimits(ctx context.Context, ix *index, eng *limits.Engine, name string) (ConsumerWindow, []UsageRow, error) {
	sum, err := eng.Usage(ctx, name)
	if err != nil {
		return ConsumerWindow{}, nil, fmt.Errorf("console: %w", err)
	}
	win := ConsumerWindow{Consumer: name, Window: string(sum.Window), Period: sum.Period, Start: sum.Start, End: sum.End}
	seen := s.rec.sum(name, sum.Start, sum.End)
	var rows []UsageRow
	for model, mu := range sum.Models {
		if mu.Requests == 0 && mu.InputTokens == 0 && mu.OutputTokens == 0 && mu.CostUSD == 0 {
			continue
		}
		rows = append(rows, splitByProvider(name, model, mu, seen, ix.providersOf(model))...)
	}
	return win, rows, nil
}

func (s *source) fromRecorder(ix *index, name string) (ConsumerWindow, []UsageRow) {
	w := ix.usageWindow(name)
	start, end, period := calendarWindow(s.now(), w)
	win := ConsumerWindow{Consumer: name, Window: string(w), Period: period, Start: start, End: end}
	var rows []UsageRow
	for mp, c := range s.rec.sum(name, start, end) {
		rows = append(rows, UsageRow{Consumer: name, Model: mp.model, Provider: mp.provider,
			Requests: c.Requests, InputTokens: c.InputTokens, OutputTokens: c.OutputTokens, CostUSD: c.CostUSD})
	}
	return win, rows
}

func bearer(v string) string {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(a)+len(b))
	for _, list := range [][]string{a, b} {
		for _, s := range list {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// calendarWindow is the UTC calendar window containing t, as the limits
// engine counts usage: Day, ISO Week (from Monday) or Month.
func calendarWindow(t time.Time, w config.BudgetWindow) (start, end time.Time, period string) {
	t = t.UTC()
	y, m, d := t.Date()
	switch w {
	case config.BudgetDay:
		start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 1), start.Format("2006-01-02")
	case config.BudgetWeek:
		start = time.Date(y, m, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, time.UTC)
		yy, wk := start.ISOWeek()
		return start, start.AddDate(0, 0, 7), fmt.Sprintf("%04d-W%02d", yy, wk)
	default:
		start = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0), start.Format("2006-01")
	}
}

// keyEntry is one hashed key that authenticates a principal.
type keyEntry struct {
	sha256   string
	notAfter *time.Time
	p        Principal
	disabled bool
}

// dummyHash keeps the work for an unknown key id the same as for a known one.
const dummyHash = "0000000000000000000000000000000000000000000000000000000000000000"

func (ix *index) authenticate(key string, now time.Time) (Principal, bool) {
	if key == "" || len(key) > 512 {
		return Principal{}, false
	}
	entries := ix.keys[apikey.ID(key)]
	if len(entries) == 0 {
		apikey.Equal(key, dummyHash)
		return Principal{}, false
	}
	var found *keyEntry
	for i := range entries {
		if apikey.Equal(key, entries[i].sha256) && found == nil {
			found = &entries[i]
		}
	}
	if found == nil || found.disabled || (found.notAfter != nil && !now.Before(*found.notAfter)) {
		return Principal{}, false
	}
	return found.p, true
}
