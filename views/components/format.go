package components

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Count formats n with a singular or plural noun: "1 team", "3 teams".
func Count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// Date formats a time as a calendar day.
func Date(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// DateTime formats a time to the minute, in UTC.
func DateTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// DatePtr formats an optional time, "never" when nil.
func DatePtr(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return DateTime(*t)
}

// Ago formats how long ago t was, roughly.
func Ago(t time.Time, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return Count(int64(d/time.Minute), "minute", "minutes") + " ago"
	case d < 24*time.Hour:
		return Count(int64(d/time.Hour), "hour", "hours") + " ago"
	case d < 60*24*time.Hour:
		return Count(int64(d/(24*time.Hour)), "day", "days") + " ago"
	}
	return Date(t)
}

// Bytes writes a size for people, in binary units: 512 B, 1.5 MiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v >= 100 {
		return fmt.Sprintf("%.0f %ciB", v, "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
}

// Number formats a count with thousands separators: 1,234,567.
func Number(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Percent shows a share 0..1 as "97.5%", or "–" for -1 (nothing to measure).
func Percent(r float64) string {
	if r < 0 || math.IsNaN(r) {
		return "–"
	}
	p := r * 100
	if p == 100 || p == math.Trunc(p) {
		return strconv.Itoa(int(p)) + "%"
	}
	return strconv.FormatFloat(math.Floor(p*10)/10, 'f', 1, 64) + "%"
}

// ScoreTone is the badge tone of a quality score.
func ScoreTone(score int) string {
	switch {
	case score >= 90:
		return "success"
	case score >= 70:
		return "info"
	case score >= 50:
		return "warning"
	}
	return "danger"
}
