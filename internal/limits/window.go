package limits

import (
	"fmt"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// span is one window instance: [Start, End).
type span struct {
	Start time.Time
	End   time.Time
}

// fixedWindow returns the fixed window of length d that contains t, aligned
// to the Unix epoch: a 1m window starts at every whole minute, a 7×24h window
// starts on the Thursdays that are a multiple of 7 days after 1970-01-01.
// d must be positive.
func fixedWindow(t time.Time, d time.Duration) span {
	n := t.UnixNano()
	w := int64(d)
	rem := n % w
	if rem < 0 { // before 1970: floor, not truncation toward zero
		rem += w
	}
	start := time.Unix(0, n-rem).UTC()
	return span{Start: start, End: start.Add(d)}
}

// calendarWindow returns the UTC calendar day, ISO week (Monday to Monday) or
// month that contains t.
func calendarWindow(t time.Time, w config.BudgetWindow) (span, error) {
	t = t.UTC()
	y, m, d := t.Date()
	switch w {
	case config.BudgetDay:
		start := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return span{Start: start, End: start.AddDate(0, 0, 1)}, nil
	case config.BudgetWeek:
		// time.Weekday has Sunday = 0; ISO weeks start on Monday.
		back := (int(t.Weekday()) + 6) % 7
		start := time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
		return span{Start: start, End: start.AddDate(0, 0, 7)}, nil
	case config.BudgetMonth:
		start := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return span{Start: start, End: start.AddDate(0, 1, 0)}, nil
	default:
		return span{}, fmt.Errorf("unknown budget window %q (want Day, Week or Month)", w)
	}
}

// calendarLabel names a calendar window the way people read it:
// "2026-11-25" (Day), "2026-W48" (ISO week), "2026-11" (Month).
func calendarLabel(s span, w config.BudgetWindow) string {
	switch w {
	case config.BudgetDay:
		return s.Start.Format("2006-01-02")
	case config.BudgetWeek:
		y, wk := s.Start.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, wk)
	default:
		return s.Start.Format("2006-01")
	}
}

// windowName is the human form of a fixed window length in messages:
// "1m", "1h", "24h", "90s".
func windowName(d time.Duration) string {
	s := d.String()
	// time.Duration prints 1m0s and 1h0m0s; trim the zero tails.
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}

// formatReset writes a wait the way OpenAI's x-ratelimit-reset-* headers do:
// "20ms" below a second, otherwise whole seconds such as "6m0s".
func formatReset(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return ceilSeconds(d).String()
}

// ceilSeconds rounds d up to a whole number of seconds, at least one.
func ceilSeconds(d time.Duration) time.Duration {
	if d <= time.Second {
		return time.Second
	}
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d
}
