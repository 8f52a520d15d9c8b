package proxy

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/availability"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// serveAvailabilityReport answers GET /availability?seconds=N on the
// metrics listener: each provider's attempts over the last N seconds
// (default config.AvailabilitySpanDefault), for the operator's
// ModelProvider Available condition.
func (s *Server) serveAvailabilityReport(w http.ResponseWriter, r *http.Request) {
	sn := s.acquire()
	if sn == nil {
		writeJSON(w, http.StatusServiceUnavailable, errNotReady.wire())
		return
	}
	defer sn.release()
	secs := config.AvailabilitySpanDefault
	if v := r.URL.Query().Get("seconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > config.AvailabilitySpanMax {
			writeJSON(w, http.StatusBadRequest, badRequest("seconds must be 1 to "+strconv.Itoa(config.AvailabilitySpanMax)+".", "seconds").wire())
			return
		}
		secs = n
	}
	writeJSON(w, http.StatusOK, s.availabilityReport(sn, time.Duration(secs)*time.Second))
}

// availabilityReport sums the windows of sn's backends by provider.
func (s *Server) availabilityReport(sn *snapshot, span time.Duration) config.AvailabilityReport {
	now := time.Now()
	rep := config.AvailabilityReport{Gateway: gatewayName(sn.cfg), Providers: []config.ProviderAvailability{}}
	by := map[string]*config.ProviderAvailability{}
	seen := map[string]bool{}
	for _, rt := range sn.router.all() {
		for _, tier := range rt.tiers {
			for _, b := range tier {
				if seen[b.label] {
					continue
				}
				seen[b.label] = true
				p := by[b.up.name]
				if p == nil {
					p = &config.ProviderAvailability{Name: b.up.name}
					by[b.up.name] = p
				}
				st := s.avail.Lookup(b.label).Recent(now, span)
				rep.WindowSeconds = max(rep.WindowSeconds, st.Window.Seconds())
				p.Succeeded += st.Succeeded
				p.Attempts += st.Succeeded
				for class, n := range st.Errors {
					if p.Errors == nil {
						p.Errors = map[string]uint64{}
					}
					p.Errors[class] += n
					if class != availability.ClassFatal.String() {
						p.Attempts += n
					}
				}
			}
		}
	}
	for _, p := range by {
		rep.Providers = append(rep.Providers, *p)
	}
	slices.SortFunc(rep.Providers, func(a, b config.ProviderAvailability) int { return strings.Compare(a.Name, b.Name) })
	return rep
}
