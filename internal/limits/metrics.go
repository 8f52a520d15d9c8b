package limits

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the engine's Prometheus collectors. Labels never carry a
// consumer, a key or a Redis address: only fixed words and policy names.
type metrics struct {
	storeErrors *prometheus.CounterVec
	degraded    prometheus.Gauge
	decisions   *prometheus.CounterVec
	settlements *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tollgate_ratelimit_store_errors_total",
			Help: "Failed or timed-out calls to the shared limit store, by operation.",
		}, []string{"op"}),
		degraded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tollgate_ratelimit_degraded",
			Help: "1 while the shared limit store is unreachable and limits are degraded (local counters or 503s).",
		}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tollgate_ratelimit_decisions_total",
			Help: "Admission decisions: admitted, downgraded, limited, budget, too_large, max_tokens, unavailable.",
		}, []string{"decision"}),
		settlements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tollgate_ratelimit_settlements_total",
			Help: "Background settlements into the shared limit store: queued, written, retried (sent again after a failure; idempotent by settlement id), dropped (the store failed on every attempt; the reservation stands at the estimate) and queue_full (written synchronously instead).",
		}, []string{"result"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.storeErrors, err = register(reg, m.storeErrors)
	if err != nil {
		return nil, err
	}
	m.degraded, err = register(reg, m.degraded)
	if err != nil {
		return nil, err
	}
	m.decisions, err = register(reg, m.decisions)
	if err != nil {
		return nil, err
	}
	m.settlements, err = register(reg, m.settlements)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// the same name (a reloaded engine keeps counting into the same series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}
