package limits

import (
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

func utc(y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, time.UTC)
}

func TestFixedWindow(t *testing.T) {
	tests := map[string]struct {
		at         time.Time
		d          time.Duration
		start, end time.Time
	}{
		"1m mid-minute":        {utc(2026, 11, 25, 10, 20, 30), time.Minute, utc(2026, 11, 25, 10, 20, 0), utc(2026, 11, 25, 10, 21, 0)},
		"1m on the boundary":   {utc(2026, 11, 25, 10, 21, 0), time.Minute, utc(2026, 11, 25, 10, 21, 0), utc(2026, 11, 25, 10, 22, 0)},
		"1h":                   {utc(2026, 11, 25, 10, 59, 59), time.Hour, utc(2026, 11, 25, 10, 0, 0), utc(2026, 11, 25, 11, 0, 0)},
		"24h is the UTC day":   {utc(2024, 2, 29, 23, 0, 0), 24 * time.Hour, utc(2024, 2, 29, 0, 0, 0), utc(2024, 3, 1, 0, 0, 0)},
		"7m aligned to epoch":  {utc(1970, 1, 1, 0, 15, 0), 7 * time.Minute, utc(1970, 1, 1, 0, 14, 0), utc(1970, 1, 1, 0, 21, 0)},
		"168h starts Thursday": {utc(2026, 11, 25, 0, 0, 0), 168 * time.Hour, utc(2026, 11, 19, 0, 0, 0), utc(2026, 11, 26, 0, 0, 0)},
		"before 1970 floors":   {utc(1969, 12, 31, 23, 59, 30), time.Minute, utc(1969, 12, 31, 23, 59, 0), utc(1970, 1, 1, 0, 0, 0)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := fixedWindow(tc.at, tc.d)
			if !got.Start.Equal(tc.start) || !got.End.Equal(tc.end) {
				t.Errorf("fixedWindow(%s, %s) = [%s, %s), want [%s, %s)", tc.at, tc.d, got.Start, got.End, tc.start, tc.end)
			}
		})
	}
}

func TestCalendarWindow(t *testing.T) {
	tests := map[string]struct {
		at         time.Time
		w          config.BudgetWindow
		start, end time.Time
		label      string
	}{
		"day":                        {utc(2026, 11, 25, 10, 0, 0), config.BudgetDay, utc(2026, 11, 25, 0, 0, 0), utc(2026, 11, 26, 0, 0, 0), "2026-11-25"},
		"day at leap day":            {utc(2024, 2, 29, 23, 59, 59), config.BudgetDay, utc(2024, 2, 29, 0, 0, 0), utc(2024, 3, 1, 0, 0, 0), "2024-02-29"},
		"day in another zone is UTC": {time.Date(2026, 11, 25, 1, 0, 0, 0, time.FixedZone("x", 3*3600)), config.BudgetDay, utc(2026, 11, 24, 0, 0, 0), utc(2026, 11, 25, 0, 0, 0), "2026-11-24"},
		"week on Wednesday":          {utc(2026, 11, 25, 10, 0, 0), config.BudgetWeek, utc(2026, 11, 23, 0, 0, 0), utc(2026, 11, 30, 0, 0, 0), "2026-W48"},
		"week on Sunday":             {utc(2026, 11, 29, 23, 59, 59), config.BudgetWeek, utc(2026, 11, 23, 0, 0, 0), utc(2026, 11, 30, 0, 0, 0), "2026-W48"},
		"week on Monday":             {utc(2026, 11, 30, 0, 0, 0), config.BudgetWeek, utc(2026, 11, 30, 0, 0, 0), utc(2026, 12, 7, 0, 0, 0), "2026-W49"},
		"week across new year":       {utc(2026, 1, 1, 12, 0, 0), config.BudgetWeek, utc(2025, 12, 29, 0, 0, 0), utc(2026, 1, 5, 0, 0, 0), "2026-W01"},
		"week 53":                    {utc(2021, 1, 3, 0, 0, 0), config.BudgetWeek, utc(2020, 12, 28, 0, 0, 0), utc(2021, 1, 4, 0, 0, 0), "2020-W53"},
		"week across leap day":       {utc(2024, 3, 1, 0, 0, 0), config.BudgetWeek, utc(2024, 2, 26, 0, 0, 0), utc(2024, 3, 4, 0, 0, 0), "2024-W09"},
		"month":                      {utc(2026, 11, 25, 10, 0, 0), config.BudgetMonth, utc(2026, 11, 1, 0, 0, 0), utc(2026, 12, 1, 0, 0, 0), "2026-11"},
		"month December":             {utc(2026, 12, 31, 23, 59, 59), config.BudgetMonth, utc(2026, 12, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0), "2026-12"},
		"February of a leap year":    {utc(2024, 2, 29, 12, 0, 0), config.BudgetMonth, utc(2024, 2, 1, 0, 0, 0), utc(2024, 3, 1, 0, 0, 0), "2024-02"},
		"February of 2100 (no leap)": {utc(2100, 2, 28, 12, 0, 0), config.BudgetMonth, utc(2100, 2, 1, 0, 0, 0), utc(2100, 3, 1, 0, 0, 0), "2100-02"},
		"first instant of a month":   {utc(2026, 3, 1, 0, 0, 0), config.BudgetMonth, utc(2026, 3, 1, 0, 0, 0), utc(2026, 4, 1, 0, 0, 0), "2026-03"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := calendarWindow(tc.at, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Start.Equal(tc.start) || !got.End.Equal(tc.end) {
				t.Errorf("calendarWindow(%s, %s) = [%s, %s), want [%s, %s)", tc.at, tc.w, got.Start, got.End, tc.start, tc.end)
			}
			if l := calendarLabel(got, tc.w); l != tc.label {
				t.Errorf("label = %q, want %q", l, tc.label)
			}
		})
	}
	if _, err := calendarWindow(t0, "Year"); err == nil {
		t.Error("calendarWindow accepted an unknown window")
	}
}

func TestWindowNameAndReset(t *testing.T) {
	names := map[time.Duration]string{
		time.Minute: "1m", time.Hour: "1h", 24 * time.Hour: "24h", 90 * time.Second: "1m30s",
		30 * time.Second: "30s", 90 * time.Minute: "1h30m",
	}
	for d, want := range names {
		if got := windowName(d); got != want {
			t.Errorf("windowName(%s) = %q, want %q", d, got, want)
		}
	}
	resets := map[time.Duration]string{
		0: "0s", -time.Second: "0s", 20 * time.Millisecond: "20ms", time.Second: "1s",
		1500 * time.Millisecond: "2s", 6 * time.Minute: "6m0s", 29*time.Second + time.Millisecond: "30s",
	}
	for d, want := range resets {
		if got := formatReset(d); got != want {
			t.Errorf("formatReset(%s) = %q, want %q", d, got, want)
		}
	}
}
