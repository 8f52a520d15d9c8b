package limits

import (
	"fmt"
	"hash/fnv"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// counterGrace keeps a counter alive after its window ends, so settlements
// of long streams and replicas with slightly skewed clocks still find it.
const counterGrace = 5 * time.Minute

// kind is what a counter counts.
type kind uint8

const (
	kindRequests kind = iota
	kindTokens        // input + output
	kindInput
	kindOutput
	kindCost // micro-USD
	// kindToolCalls counts MCP tool calls (tools.go); it has no usage
	// field in usageField.
	kindToolCalls
)

func (k kind) noun() string {
	switch k {
	case kindRequests:
		return "requests"
	case kindTokens:
		return "tokens"
	case kindInput:
		return "input tokens"
	case kindOutput:
		return "output tokens"
	case kindToolCalls:
		return "tool calls"
	default:
		return "micro-USD"
	}
}

// usage hash fields; per model they are "<field>:<model>".
var usageField = [...]string{kindRequests: "req", kindInput: "in", kindOutput: "out", kindCost: "cost"}

const usageCachedField = "cin"

// meta says what a counter of a check stands for.
type meta struct {
	kind   kind
	usage  bool // a usage total: never checked, never named in a denial
	policy *policyRT
	limit  int64
	window string    // "1m", "24h", "Month"
	period string    // "2026-11" for budgets
	models []string  // the limit's model globs, for messages
	reset  time.Time // end of the window
}

type limitRT struct {
	cfg    config.Limit
	id     string // stable across reloads and reorders: hash of window and models
	window string
	key    string // "p:<policy>:<id>:", the counter key after the consumer
}

type policyRT struct {
	name        string
	limits      []limitRT
	budget      *config.Budget
	budgetMicro int64
	budgetKey   string // "p:<policy>:b:<window>:"
	maxTokens   int64
	onExceeded  config.ExceededAction
	downgradeTo string
	// pool is the key base of a pooled policy's counters, "<prefix>{:pool:
	// <escaped name>}:" ("" when per consumer): their own hash tag, which
	// no consumer's escaped name can equal (it has no ':').
	pool string
}

type consumerRT struct {
	name        string
	base        string // "<prefix>{<escaped name>}:", the start of its keys
	policies    []*policyRT
	usageWindow config.BudgetWindow
	ncounters   int // counters one request touches at most (sizes its slices)
	// keys holds, per slot (each policy's limits then its budget, in
	// order, then the usage counters), the keys of the window instance
	// last used, so a request in the same window builds no key string.
	// nil for a consumer made per call (an unknown name).
	keys []atomic.Pointer[windowKeys]
}

// windowKeys are one slot's counter keys for the window instance that
// starts at start (unix seconds): r, t, i, o for a fixed-window limit's
// requests, tokens, input and output counters; r alone (and label, its
// period's name) for a budget or the usage.
type windowKeys struct {
	start      int64
	r, t, i, o string
	label      string
}

// keySlots is how many slots consumerRT.keys needs for policies ps.
func keySlots(ps []*policyRT) int {
	n := 1
	for _, p := range ps {
		n += len(p.limits) + 1
	}
	return n
}

// windowKeys returns slot's keys for the window starting at start, built
// (by build, from the start in decimal) only when the slot last held
// another window. Concurrent requests may each build them once; any of
// the results is the same.
func (c *consumerRT) windowKeys(slot int, start int64, build func(start string) windowKeys) *windowKeys {
	if slot < len(c.keys) {
		if k := c.keys[slot].Load(); k != nil && k.start == start {
			return k
		}
	}
	k := build(strconv.FormatInt(start, 10))
	k.start = start
	if slot < len(c.keys) {
		c.keys[slot].Store(&k)
	}
	return &k
}

// usageCounters is how many usage fields a request adds to: four totals
// and the same four for its model.
const usageCounters = 8

// countersOf is how many counters a consumer with these policies touches
// at most per request.
func countersOf(ps []*policyRT) int {
	n := usageCounters
	for _, p := range ps {
		for _, l := range p.limits {
			for _, v := range [...]int64{l.cfg.Requests, l.cfg.Tokens, l.cfg.InputTokens, l.cfg.OutputTokens} {
				if v > 0 {
					n++
				}
			}
		}
		if p.budget != nil {
			n++
		}
	}
	return n
}

func compilePolicy(p config.Policy) (*policyRT, error) {
	rt := &policyRT{name: p.Name, budget: p.Budget, maxTokens: p.MaxTokensPerRequest,
		onExceeded: p.OnExceeded, downgradeTo: p.DowngradeTo}
	for i, l := range p.Limits {
		if l.Window.Duration <= 0 {
			return nil, fmt.Errorf("policy %q limits[%d]: window must be positive", p.Name, i)
		}
		for _, g := range l.Models {
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("policy %q limits[%d]: model glob %q: %w", p.Name, i, g, err)
			}
		}
		h := fnv.New64a()
		fmt.Fprintf(h, "%d|%s", int64(l.Window.Duration), strings.Join(l.Models, ","))
		id := strconv.FormatUint(h.Sum64()&0xffffffff, 36)
		// Two limits with one window and one model scope are one counter
		// set with the tighter value of each field.
		if j := slices.IndexFunc(rt.limits, func(x limitRT) bool { return x.id == id }); j >= 0 {
			m := &rt.limits[j].cfg
			m.Requests, m.Tokens = tighter(m.Requests, l.Requests), tighter(m.Tokens, l.Tokens)
			m.InputTokens, m.OutputTokens = tighter(m.InputTokens, l.InputTokens), tighter(m.OutputTokens, l.OutputTokens)
			m.ToolCalls = tighter(m.ToolCalls, l.ToolCalls)
			continue
		}
		rt.limits = append(rt.limits, limitRT{cfg: l, id: id, window: windowName(l.Window.Duration),
			key: "p:" + p.Name + ":" + id + ":"})
	}
	if b := p.Budget; b != nil {
		if _, err := calendarWindow(time.Unix(0, 0), b.Window); err != nil {
			return nil, fmt.Errorf("policy %q budget: %w", p.Name, err)
		}
		if b.AmountUSD < 0 || math.IsNaN(b.AmountUSD) || b.AmountUSD > 9e12 {
			return nil, fmt.Errorf("policy %q budget: amountUSD %v is out of range", p.Name, b.AmountUSD)
		}
		// A zero budget allows nothing: the engine refuses it before the
		// store, which treats a zero limit as unchecked.
		rt.budgetMicro = int64(math.Round(b.AmountUSD * 1e6))
		rt.budgetKey = "p:" + p.Name + ":b:" + string(b.Window) + ":"
	}
	return rt, nil
}

// tighter is the smaller positive limit (zero is unlimited).
func tighter(a, b int64) int64 {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// applies reports whether a limit covers model.
func (l *limitRT) applies(model string) bool {
	if len(l.cfg.Models) == 0 {
		return true
	}
	for _, g := range l.cfg.Models {
		if ok, _ := path.Match(g, model); ok {
			return true
		}
	}
	return false
}

// estimate is what admission reserves.
type estimate struct {
	in, out   int64
	costMicro int64
	// free calls have no budget counters (Call.Free).
	free bool
}

// microUSD converts tokens at a per-million price to micro-USD, rounding up:
// one token at $1 per million tokens is exactly one micro-dollar.
func microUSD(in, out int64, p config.Pricing) int64 {
	v := math.Ceil(float64(in)*p.InputPerMillion + float64(out)*p.OutputPerMillion)
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	return int64(min(v, 1e15))
}

// counters builds every counter one request touches for a consumer and
// model at now, with what each stands for. Keys never repeat: limits with
// one window and scope were merged by compilePolicy.
func (e *Engine) counters(c *consumerRT, model string, est estimate, now time.Time) ([]Counter, []meta) {
	n := c.ncounters
	if n == 0 {
		n = countersOf(c.policies)
	}
	cs := make([]Counter, 0, n)
	ms := make([]meta, 0, n)
	add := func(key, field string, amount, limit int64, end time.Time, m meta) {
		m.limit, m.reset = limit, end
		cs = append(cs, Counter{Key: key, Field: field, Amount: amount, Limit: limit, TTL: end.Sub(now) + counterGrace})
		ms = append(ms, m)
	}
	slot := 0
	for _, p := range c.policies {
		for i := range p.limits {
			l := &p.limits[i]
			s := slot
			slot++
			if !l.applies(model) {
				continue
			}
			w := fixedWindow(now, l.cfg.Window.Duration)
			ks := c.windowKeys(s, w.Start.Unix(), func(start string) windowKeys {
				k := p.base(c) + l.key + start + ":"
				return windowKeys{r: k + "r", t: k + "t", i: k + "i", o: k + "o"}
			})
			m := meta{policy: p, window: l.window, models: l.cfg.Models}
			if l.cfg.Requests > 0 {
				m.kind = kindRequests
				add(ks.r, "", 1, l.cfg.Requests, w.End, m)
			}
			if l.cfg.Tokens > 0 {
				m.kind = kindTokens
				add(ks.t, "", est.in+est.out, l.cfg.Tokens, w.End, m)
			}
			if l.cfg.InputTokens > 0 {
				m.kind = kindInput
				add(ks.i, "", est.in, l.cfg.InputTokens, w.End, m)
			}
			if l.cfg.OutputTokens > 0 {
				m.kind = kindOutput
				add(ks.o, "", est.out, l.cfg.OutputTokens, w.End, m)
			}
		}
		s := slot
		slot++
		if p.budget != nil && !est.free {
			w, _ := calendarWindow(now, p.budget.Window)
			ks := c.windowKeys(s, w.Start.Unix(), func(start string) windowKeys {
				return windowKeys{r: p.base(c) + p.budgetKey + start, label: calendarLabel(w, p.budget.Window)}
			})
			add(ks.r, "", est.costMicro, p.budgetMicro, w.End,
				meta{kind: kindCost, policy: p, window: string(p.budget.Window), period: ks.label})
		}
	}
	uw, _ := calendarWindow(now, c.usageWindow)
	uk := c.windowKeys(slot, uw.Start.Unix(), func(string) windowKeys { return windowKeys{r: e.usageKey(c, uw)} }).r
	amounts := [...]int64{kindRequests: 1, kindInput: est.in, kindOutput: est.out, kindCost: est.costMicro}
	perModel := e.modelFields(e.usageModel(model))
	for i, k := range [...]kind{kindRequests, kindInput, kindOutput, kindCost} {
		m := meta{kind: k, usage: true}
		add(uk, usageField[k], amounts[k], 0, uw.End, m)
		add(uk, perModel[i], amounts[k], 0, uw.End, m)
	}
	return cs, ms
}

// base is where a policy's counters for consumer c live: the pool's keys
// when pooled, else the consumer's.
func (p *policyRT) base(c *consumerRT) string {
	if p.pool != "" {
		return p.pool
	}
	return c.base
}

func (e *Engine) usageKey(c *consumerRT, w span) string {
	return c.base + "u:" + string(c.usageWindow) + ":" + strconv.FormatInt(w.Start.Unix(), 10)
}

// OtherModels is the usage breakdown entry of models outside the catalogue
// and the routes' names (see usageModel).
const OtherModels = "other"

// usageModel is the name a model's usage is broken down under, so the
// breakdown stays bounded however many names clients send: a catalogue
// model or an exact route name is itself; a name a glob route matched is
// that route's pattern; anything else is OtherModels.
func (e *Engine) usageModel(model string) string {
	if _, ok := e.pricing[model]; ok {
		return model
	}
	for _, r := range e.routes {
		if r.Model == model {
			return model
		}
	}
	for _, r := range e.routes {
		if ok, _ := path.Match(r.Model, model); ok {
			return r.Model
		}
	}
	return OtherModels
}

// maxModelFields bounds the cache of per-model usage field names (a glob
// route can admit any number of model names).
const maxModelFields = 1024

// modelFields returns the usage field names of a model ("req:<model>",
// "in:<model>", ...), cached: they are built for every request otherwise.
func (e *Engine) modelFields(model string) *[4]string {
	if v, ok := e.fields.Load(model); ok {
		return v.(*[4]string)
	}
	f := &[4]string{}
	for i, k := range [...]kind{kindRequests, kindInput, kindOutput, kindCost} {
		f[i] = usageField[k] + ":" + model
	}
	if e.nfields.Load() < maxModelFields {
		if _, loaded := e.fields.LoadOrStore(model, f); !loaded {
			e.nfields.Add(1)
		}
	}
	return f
}
