// Package access renders federated governance: the request form, My
// access with each request's timeline, the deciders' inbox, a product's
// consumers, notifications and the admins' access policies.
package access

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"plaza/models"
)

// Step is one moment in a request's life.
type Step struct {
	At      time.Time
	Kind    string // submitted, approved, denied, granted, expiring, expired, revoked, renewed, withdrawn, waiting
	Title   string
	Comment string
}

// Timeline lists every step of r so far, oldest first, and the step it
// waits for when it is still pending.
func Timeline(r models.AccessRequest, now time.Time) []Step {
	steps := []Step{{At: r.CreatedAt, Kind: "submitted",
		Title:   fmt.Sprintf("%s asked for %s for %d days", r.Requester.DisplayName(), portsText(r.PortList()), r.DurationDays),
		Comment: r.Purpose}}
	if r.RenewalOfID != nil {
		steps[0].Title = fmt.Sprintf("%s asked to renew grant %d for %d days", r.Requester.DisplayName(), *r.RenewalOfID, r.DurationDays)
	}
	for _, d := range r.Decisions {
		kind, verb := "approved", "approved"
		if d.Verdict == models.VerdictDeny {
			kind, verb = "denied", "denied"
		}
		steps = append(steps, Step{At: d.At, Kind: kind, Title: fmt.Sprintf("%s %s as %s", d.Decider.DisplayName(), verb, d.Capacity()), Comment: d.Comment})
	}
	switch r.Status {
	case models.RequestPending:
		steps = append(steps, Step{Kind: "waiting", Title: "Waiting for " + r.WaitingFor()})
	case models.RequestWithdrawn:
		if r.ClosedAt != nil {
			steps = append(steps, Step{At: *r.ClosedAt, Kind: "withdrawn", Title: r.Requester.DisplayName() + " withdrew the request"})
		}
	}
	if g := r.Grant; g != nil {
		steps = append(steps, Step{At: g.StartsAt, Kind: "granted", Title: "Access granted until " + g.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC")})
		if g.RemindedDays > 0 {
			steps = append(steps, Step{At: g.ExpiresAt.AddDate(0, 0, -g.RemindedDays), Kind: "expiring",
				Title: fmt.Sprintf("Reminded: access ends in %s", daysText(g.RemindedDays))})
		}
		switch g.Status {
		case models.GrantExpired:
			steps = append(steps, Step{At: g.ExpiresAt, Kind: "expired", Title: "Access expired"})
		case models.GrantRevoked:
			who := "An owner"
			if g.EndedBy != nil {
				who = g.EndedBy.DisplayName()
			}
			steps = append(steps, Step{At: *g.EndedAt, Kind: "revoked", Title: who + " revoked access", Comment: g.EndReason})
		case models.GrantRenewed:
			steps = append(steps, Step{At: *g.EndedAt, Kind: "renewed", Title: "Replaced by a renewal", Comment: g.EndReason})
		default:
			if !g.ExpiresAt.After(now) {
				steps = append(steps, Step{At: g.ExpiresAt, Kind: "expired", Title: "Access expired"})
			}
		}
	}
	slices.SortStableFunc(steps, func(a, b Step) int {
		if a.Kind == "waiting" || b.Kind == "waiting" {
			return boolCmp(a.Kind == "waiting", b.Kind == "waiting")
		}
		return a.At.Compare(b.At)
	})
	return steps
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func daysText(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func portsText(ports []string) string {
	switch len(ports) {
	case 0:
		return "the product"
	case 1:
		return "port " + ports[0]
	}
	return "ports " + strings.Join(ports, ", ")
}

// StatusTone is the badge colour of a request or grant status.
func StatusTone(status string) string {
	switch status {
	case models.RequestGranted, models.GrantActive:
		return "success"
	case models.RequestPending:
		return "warning"
	case models.RequestDenied, models.GrantRevoked:
		return "danger"
	}
	return "neutral"
}

// GrantStatus is what a grant's badge says at now: an active grant past its
// expiry reads expired even before the sweep has run.
func GrantStatus(g models.Grant, now time.Time) string { return g.StatusAt(now) }

// Remaining says how long a grant has left, in words.
func Remaining(g models.Grant, now time.Time) string {
	d := g.ExpiresAt.Sub(now)
	switch {
	case d <= 0:
		return "ended"
	case d < time.Hour:
		return "less than an hour left"
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours left", int(d.Hours()))
	}
	return fmt.Sprintf("%d days left", int(math.Ceil(d.Hours()/24)))
}

// Soon reports whether a grant ends within 7 days.
func Soon(g models.Grant, now time.Time) bool {
	return g.Status == models.GrantActive && g.ExpiresAt.Sub(now) < 7*24*time.Hour
}

func id(n uint) string { return fmt.Sprint(n) }
