package models

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestDecide walks the request state machine over every default policy and
// every kind of person who might try to decide, without a database.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	requester := &User{ID: 1, Email: "req@x"}
	owner := &User{ID: 2, Email: "owner@x"}
	owner2 := &User{ID: 3, Email: "owner2@x"}
	steward := &User{ID: 4, Email: "steward@x"}
	both := &User{ID: 5, Email: "both@x"}
	admin := &User{ID: 6, Email: "admin@x", IsAdmin: true}
	other := &User{ID: 7, Email: "other@x"}
	as := map[string]Decider{
		"requester (also an owner)": {User: requester, Owner: true},
		"owner":                     {User: owner, Owner: true},
		"second owner":              {User: owner2, Owner: true},
		"steward":                   {User: steward, Steward: true},
		"owner and steward":         {User: both, Owner: true, Steward: true},
		"admin without a role":      {User: admin},
		"someone else":              {User: other},
	}
	approve := func(who string) AccessDecision {
		d := as[who]
		return AccessDecision{DeciderID: d.User.ID, Verdict: VerdictApprove, AsOwner: d.Owner, AsSteward: d.Steward}
	}
	policies := map[string]AccessPolicy{}
	for _, p := range DefaultAccessPolicies() {
		policies[p.Classification] = p
	}
	type step struct {
		who, verdict, comment string
		want                  string // next status, or "forbidden", "conflict", "invalid"
	}
	cases := []struct {
		class string
		prior []string // approvals already given, by who
		step
	}{
		// internal: one owner
		{ClassInternal, nil, step{"owner", VerdictApprove, "", RequestGranted}},
		{ClassInternal, nil, step{"owner", VerdictDeny, "Use the aggregate instead.", RequestDenied}},
		{ClassInternal, nil, step{"owner", VerdictDeny, "  ", "invalid"}},
		{ClassInternal, nil, step{"owner and steward", VerdictApprove, "", RequestGranted}},
		{ClassInternal, nil, step{"steward", VerdictApprove, "", "forbidden"}},
		{ClassInternal, nil, step{"requester (also an owner)", VerdictApprove, "", "forbidden"}},
		{ClassInternal, nil, step{"admin without a role", VerdictApprove, "", "forbidden"}},
		{ClassInternal, nil, step{"someone else", VerdictDeny, "no", "forbidden"}},
		{ClassInternal, nil, step{"owner", "maybe", "", "invalid"}},
		// confidential: one owner
		{ClassConfidential, nil, step{"owner", VerdictApprove, "", RequestGranted}},
		{ClassConfidential, nil, step{"steward", VerdictApprove, "", "forbidden"}},
		// restricted: an owner and a steward, two people
		{ClassRestricted, nil, step{"owner", VerdictApprove, "", RequestPending}},
		{ClassRestricted, nil, step{"steward", VerdictApprove, "", RequestPending}},
		{ClassRestricted, nil, step{"owner and steward", VerdictApprove, "", RequestPending}},
		{ClassRestricted, []string{"owner"}, step{"steward", VerdictApprove, "", RequestGranted}},
		{ClassRestricted, []string{"steward"}, step{"owner", VerdictApprove, "", RequestGranted}},
		{ClassRestricted, []string{"owner"}, step{"second owner", VerdictApprove, "", "conflict"}},
		{ClassRestricted, []string{"owner"}, step{"owner", VerdictApprove, "", "conflict"}},
		{ClassRestricted, []string{"owner"}, step{"owner and steward", VerdictApprove, "", RequestGranted}},
		{ClassRestricted, []string{"owner and steward"}, step{"owner", VerdictApprove, "", RequestGranted}},
		{ClassRestricted, []string{"owner and steward"}, step{"steward", VerdictApprove, "", RequestGranted}},
		{ClassRestricted, []string{"owner"}, step{"steward", VerdictDeny, "Not for marketing use.", RequestDenied}},
		{ClassRestricted, nil, step{"requester (also an owner)", VerdictApprove, "", "forbidden"}},
		{ClassRestricted, nil, step{"admin without a role", VerdictApprove, "", "forbidden"}},
		{ClassRestricted, nil, step{"someone else", VerdictApprove, "", "forbidden"}},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s/after %v/%s %s", tc.class, tc.prior, tc.who, tc.verdict)
		t.Run(name, func(t *testing.T) {
			pol := policies[tc.class]
			r := &AccessRequest{ID: 9, RequesterID: requester.ID, Status: RequestPending,
				OwnerApprovals: pol.OwnerApprovals, StewardApprovals: pol.StewardApprovals}
			var prior []AccessDecision
			for _, who := range tc.prior {
				d := approve(who)
				d.AsOwner = d.AsOwner && r.OwnerApprovals > 0
				d.AsSteward = d.AsSteward && r.StewardApprovals > 0
				prior = append(prior, d)
			}
			rec, next, err := decide(r, prior, as[tc.who], tc.verdict, tc.comment, now)
			var got string
			var ve *ValidationError
			switch {
			case err == nil:
				got = next
			case errors.Is(err, ErrForbidden):
				got = "forbidden"
			case errors.Is(err, ErrConflict):
				got = "conflict"
			case errors.As(err, &ve):
				got = "invalid"
			default:
				t.Fatalf("unexpected error %v", err)
			}
			if got != tc.want {
				t.Fatalf("got %s (err %v), want %s", got, err, tc.want)
			}
			if err == nil && (!rec.At.Equal(now) || rec.DeciderID != as[tc.who].User.ID) {
				t.Errorf("decision recorded %+v", rec)
			}
		})
	}
}

// TestDecideClosedRequest: a request already decided cannot be decided again.
func TestDecideClosedRequest(t *testing.T) {
	for _, status := range []string{RequestGranted, RequestDenied, RequestWithdrawn} {
		r := &AccessRequest{RequesterID: 1, Status: status, OwnerApprovals: 1}
		_, next, err := decide(r, nil, Decider{User: &User{ID: 2}, Owner: true}, VerdictApprove, "", time.Now())
		if !errors.Is(err, ErrConflict) || next != status {
			t.Errorf("%s: got %s, %v; want a conflict and no change", status, next, err)
		}
	}
}

// TestTallyMissing: what a request waits for, with people in both roles.
func TestTallyMissing(t *testing.T) {
	cases := []struct {
		needO, needS, o, s, b int
		wantO, wantS          int
		complete              bool
	}{
		{1, 1, 0, 0, 0, 1, 1, false},
		{1, 1, 1, 0, 0, 0, 1, false},
		{1, 1, 0, 0, 1, 0, 1, false},
		{1, 1, 0, 0, 2, 0, 0, true},
		{2, 1, 1, 0, 1, 0, 1, false},
		{2, 0, 5, 0, 0, 0, 0, true},
		{0, 2, 0, 1, 1, 0, 0, true},
	}
	for _, c := range cases {
		tl := tally{needOwners: c.needO, needStewards: c.needS, owners: c.o, stewards: c.s, both: c.b}
		o, s := tl.missing()
		if o != c.wantO || s != c.wantS || tl.complete() != c.complete {
			t.Errorf("%+v: missing %d owners %d stewards complete %v; want %d %d %v", tl, o, s, tl.complete(), c.wantO, c.wantS, c.complete)
		}
	}
}

// TestDurationChoices: the durations offered never exceed the policy.
func TestDurationChoices(t *testing.T) {
	for _, p := range DefaultAccessPolicies() {
		for _, d := range p.DurationChoices() {
			if d > p.MaxDays {
				t.Errorf("%s offers %d days, more than its %d", p.Classification, d, p.MaxDays)
			}
		}
		if got := p.DurationChoices(); got[len(got)-1] != p.MaxDays {
			t.Errorf("%s: choices %v do not reach the maximum %d", p.Classification, got, p.MaxDays)
		}
	}
}
