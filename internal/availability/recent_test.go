package availability

import (
	"testing"
	"time"
)

// Recent reads only the newest buckets: an outage ten minutes ago is in
// the 30-minute figures but not in the last five minutes'.
func TestRecent(t *testing.T) {
	w := NewWindow(30, time.Minute)
	now := t0.Add(20 * time.Minute)
	for range 4 {
		w.Observe(fail(now.Add(-10*time.Minute), ClassServerError, time.Millisecond))
	}
	w.Observe(ok(now, 10*time.Millisecond, 0, 0))
	if st := w.Stats(now); st.Requests != 5 || st.SuccessRate != 0.2 {
		t.Errorf("30m: %+v", st)
	}
	st := w.Recent(now, 5*time.Minute)
	if st.Requests != 1 || st.SuccessRate != 1 || st.Window != 5*time.Minute || st.Errors != nil {
		t.Errorf("5m: %+v", st)
	}
	if st := w.Recent(now, time.Hour); st.Window != 30*time.Minute || st.Requests != 5 {
		t.Errorf("an hour is capped at the window: %+v", st)
	}
	if st := w.Recent(now, 0); st.Window != time.Minute || st.Requests != 1 {
		t.Errorf("at least one bucket: %+v", st)
	}
}
