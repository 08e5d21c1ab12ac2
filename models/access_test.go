package models_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// accessFixture adds to fixture a published product of each classification
// owned by sales/orders, a second owner, a steward of sales, and an analyst
// in no team who asks for access.
type accessFixture struct {
	*fixture
	owner2   *models.User
	steward  *models.User
	analyst  *models.User
	products map[string]*models.Product // by classification
}

func newAccessFixture(t *testing.T, db *gorm.DB) *accessFixture {
	t.Helper()
	f := &accessFixture{fixture: newFixture(t, db), products: map[string]*models.Product{}}
	f.owner2 = f.person(t, "oscar@example.com", "Oscar Owner")
	if _, err := f.s.AddMember(f.ctx, f.admin, f.orders, f.owner2.Email, models.RoleOwner); err != nil {
		t.Fatal(err)
	}
	f.steward = f.person(t, "stella@example.com", "Stella Steward")
	if _, err := f.s.AddSteward(f.ctx, f.admin, f.sales, f.steward.Email); err != nil {
		t.Fatal(err)
	}
	f.analyst = f.person(t, "ana@example.com", "Ana Analyst")
	for _, class := range models.Classifications {
		in := models.ProductInput{Slug: class + "-orders", Name: "Orders (" + class + ")", Team: "orders",
			Summary: "Orders.", Classification: class, TermsOfUse: "Internal analysis only.",
			OutputPorts: []models.PortInput{
				{Slug: "daily", Name: "Daily", Format: "parquet", Columns: []models.ColumnInput{{Name: "order_id", Type: "string"}}},
				{Slug: "events", Name: "Events", Format: "parquet", Columns: []models.ColumnInput{{Name: "event_id", Type: "string"}}},
			}}
		p, err := f.s.CreateProduct(f.ctx, f.owner, "sales", in)
		if err != nil {
			t.Fatal(err)
		}
		if p, err = f.s.SetProductStatus(f.ctx, f.owner, p, models.StatusPublished, ""); err != nil {
			t.Fatal(err)
		}
		f.products[class] = p
	}
	return f
}

func (f *accessFixture) ask(t *testing.T, who *models.User, class string, days int) *models.AccessRequest {
	t.Helper()
	r, err := f.s.RequestAccess(f.ctx, who, f.products[class], models.AccessRequestInput{
		Ports: []string{"daily"}, Purpose: "Weekly churn model for the retention team.", DurationDays: days, AcceptTerms: true})
	if err != nil {
		t.Fatalf("request %s: %v", class, err)
	}
	return r
}

func (f *accessFixture) decide(t *testing.T, who *models.User, r *models.AccessRequest, verdict, comment string) *models.AccessRequest {
	t.Helper()
	r, err := f.s.DecideAccess(f.ctx, who, r.ID, verdict, comment)
	if err != nil {
		t.Fatalf("%s %s: %v", who.Email, verdict, err)
	}
	return r
}

func (f *accessFixture) verifyAudit(t *testing.T) {
	t.Helper()
	v, err := f.s.VerifyAudit(f.ctx, f.admin)
	if err != nil || !v.OK {
		t.Fatalf("audit chain: %+v, %v", v, err)
	}
}

// TestRestrictedRequestFourEyes: a restricted product needs a product owner
// and a steward, two different people; the grant then lets the analyst in
// and revocation shuts them out at once.
func TestRestrictedRequestFourEyes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		p := f.products[models.ClassRestricted]
		if _, err := f.s.CheckAccess(f.ctx, f.analyst, p, "daily"); !errors.As(err, new(*models.NoAccessError)) {
			t.Fatalf("before any request: %v, want no access", err)
		}
		r := f.ask(t, f.analyst, models.ClassRestricted, 30)
		if r.Status != models.RequestPending || r.OwnerApprovals != 1 || r.StewardApprovals != 1 || r.TermsAcceptedAt == nil {
			t.Fatalf("request %+v", r)
		}
		// The requester's and the deciders' inboxes.
		for _, u := range []*models.User{f.owner, f.owner2, f.steward} {
			in, err := f.s.Inbox(f.ctx, u)
			if err != nil || len(in.Requests) != 1 {
				t.Fatalf("%s inbox: %v, %v", u.Email, in, err)
			}
		}
		if in, _ := f.s.Inbox(f.ctx, f.analyst); in.Count() != 0 {
			t.Errorf("the requester's own inbox holds %d items", in.Count())
		}

		r = f.decide(t, f.owner, r, models.VerdictApprove, "Fine for churn work.")
		if r.Status != models.RequestPending || r.WaitingFor() != "a steward's approval" {
			t.Fatalf("after the owner: %s, waiting for %q", r.Status, r.WaitingFor())
		}
		if _, err := f.s.DecideAccess(f.ctx, f.owner2, r.ID, models.VerdictApprove, ""); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("a second owner's approval: %v, want a conflict", err)
		}
		if in, _ := f.s.Inbox(f.ctx, f.owner2); in.Count() != 0 {
			t.Errorf("the second owner still sees the request: their approval would not count")
		}
		r = f.decide(t, f.steward, r, models.VerdictApprove, "")
		if r.Status != models.RequestGranted || r.Grant == nil || r.ClosedAt == nil {
			t.Fatalf("after the steward: %+v", r)
		}
		g := r.Grant
		if !g.ExpiresAt.Equal(start.AddDate(0, 0, 30)) || g.Ports != "daily" || g.Status != models.GrantActive {
			t.Errorf("grant %+v", g)
		}
		got, err := f.s.CheckAccess(f.ctx, f.analyst, p, "daily")
		if err != nil || got == nil || got.ID != g.ID {
			t.Fatalf("with the grant: %v, %v", got, err)
		}
		usage := func() int64 {
			var n int64
			db.Raw("SELECT usage_score FROM search_docs WHERE product_id = ?", p.ID).Scan(&n)
			return n
		}
		if n := usage(); n != 1 {
			t.Errorf("usage score with one holder: %d", n)
		}
		if res, err := f.s.SearchProducts(f.ctx, f.analyst, models.SearchQuery{Sort: models.SortUsage}); err != nil || len(res.Hits) == 0 || res.Hits[0].ID != p.ID {
			t.Errorf("most used first: %v (%v)", res, err)
		}
		if _, err := f.s.CheckAccess(f.ctx, f.analyst, p, "events"); err == nil {
			t.Errorf("the grant for port daily opened port events too")
		}
		if _, err := f.s.DecideAccess(f.ctx, f.owner2, r.ID, models.VerdictDeny, "late"); !errors.Is(err, models.ErrConflict) {
			t.Errorf("deciding a granted request: %v, want a conflict", err)
		}

		// The owner sees the consumer and revokes.
		consumers, err := f.s.ProductGrants(f.ctx, f.owner, p)
		if err != nil || len(consumers) != 1 || consumers[0].User.Email != f.analyst.Email {
			t.Fatalf("consumers: %v, %v", consumers, err)
		}
		if _, err := f.s.ProductGrants(f.ctx, f.analyst, p); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("the analyst listed the consumers: %v", err)
		}
		if _, err := f.s.RevokeGrant(f.ctx, f.owner, g.ID, ""); !validationOn(err, "reason") {
			t.Errorf("revoke without a reason: %v", err)
		}
		if _, err := f.s.RevokeGrant(f.ctx, f.analyst, g.ID, "mine"); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("the holder revoked: %v", err)
		}
		g, err = f.s.RevokeGrant(f.ctx, f.owner, g.ID, "The churn project ended.")
		if err != nil || g.Status != models.GrantRevoked || g.EndReason != "The churn project ended." {
			t.Fatalf("revoke: %+v, %v", g, err)
		}
		if n := usage(); n != 0 {
			t.Errorf("usage score after revocation: %d", n)
		}
		if _, err := f.s.CheckAccess(f.ctx, f.analyst, p, "daily"); err == nil {
			t.Fatalf("access survived revocation")
		} else if err.Error() != "no access to sales.restricted-orders: request it at /products/sales/restricted-orders" {
			t.Errorf("refusal says %q", err)
		}

		// Every step is in the audit log, and notifications reached the people concerned.
		var actions []string
		db.Model(&models.AuditEvent{}).Where("object_type IN ?", []string{"access_request", "grant"}).Order("id").Pluck("action", &actions)
		want := []string{"access.request", "access.approve", "access.approve", "access.grant", "access.revoke"}
		if fmt.Sprint(actions) != fmt.Sprint(want) {
			t.Errorf("audit actions %v, want %v", actions, want)
		}
		for u, want := range map[*models.User]int64{f.analyst: 4, f.owner: 1, f.owner2: 1, f.steward: 1} {
			if n, _ := f.s.UnreadCount(f.ctx, u); n != want {
				t.Errorf("%s has %d unread notifications, want %d", u.Email, n, want)
			}
		}
		f.verifyAudit(t)
	})
}

func validationOn(err error, field string) bool {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	_, ok := ve.Fields[field]
	return ok
}

// TestRequestValidation: bad requests name the field and write nothing.
func TestRequestValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		p := f.products[models.ClassConfidential]
		good := models.AccessRequestInput{Ports: []string{"daily"}, Purpose: "Quarterly revenue reconciliation.", DurationDays: 90, AcceptTerms: true}
		cases := []struct {
			name  string
			edit  func(*models.AccessRequestInput)
			field string
		}{
			{"no purpose", func(in *models.AccessRequestInput) { in.Purpose = "  " }, "purpose"},
			{"short purpose", func(in *models.AccessRequestInput) { in.Purpose = "stuff" }, "purpose"},
			{"longer than the policy allows", func(in *models.AccessRequestInput) { in.DurationDays = 365 }, "duration_days"},
			{"no duration", func(in *models.AccessRequestInput) { in.DurationDays = 0 }, "duration_days"},
			{"terms not accepted", func(in *models.AccessRequestInput) { in.AcceptTerms = false }, "accept_terms"},
			{"unknown port", func(in *models.AccessRequestInput) { in.Ports = []string{"daily", "secret"} }, "ports"},
			{"no port", func(in *models.AccessRequestInput) { in.Ports = nil }, "ports"},
		}
		for _, tc := range cases {
			in := good
			tc.edit(&in)
			mark := f.lastEventID(t)
			if _, err := f.s.RequestAccess(f.ctx, f.analyst, p, in); !validationOn(err, tc.field) {
				t.Errorf("%s: %v, want a message on %s", tc.name, err, tc.field)
			}
			if evs := f.eventsAfter(t, mark); len(evs) != 0 {
				t.Errorf("%s wrote %d audit events", tc.name, len(evs))
			}
		}
		if _, err := f.s.RequestAccess(f.ctx, f.analyst, f.products[models.ClassPublic], good); !errors.Is(err, models.ErrConflict) {
			t.Errorf("public product: %v, want 'no request needed'", err)
		}
		if _, err := f.s.RequestAccess(f.ctx, f.member, p, good); !errors.Is(err, models.ErrConflict) {
			t.Errorf("own team's product: %v, want 'you already have access'", err)
		}

		// No duplicates: the same port again shows the open request, then the grant.
		r, err := f.s.RequestAccess(f.ctx, f.analyst, p, good)
		if err != nil {
			t.Fatal(err)
		}
		var existing *models.ExistingAccessError
		if _, err := f.s.RequestAccess(f.ctx, f.analyst, p, good); !errors.As(err, &existing) || existing.Request == nil || existing.Request.ID != r.ID {
			t.Fatalf("second request: %v, want the existing one", err)
		}
		other := good
		other.Ports = []string{"events"}
		if _, err := f.s.RequestAccess(f.ctx, f.analyst, p, other); err != nil {
			t.Errorf("another port is another request: %v", err)
		}
		r = f.decide(t, f.owner, r, models.VerdictApprove, "")
		if _, err := f.s.RequestAccess(f.ctx, f.analyst, p, good); !errors.As(err, &existing) || existing.Grant == nil || existing.Grant.ID != r.Grant.ID {
			t.Fatalf("request while holding a grant: %v, want the grant", err)
		}

		// A renewal is a new request linked to the grant; only one at a time.
		renew := models.AccessRequestInput{RenewalOf: r.Grant.ID, Purpose: good.Purpose, DurationDays: 90, AcceptTerms: true}
		rn, err := f.s.RequestAccess(f.ctx, f.analyst, p, renew)
		if err != nil || rn.RenewalOfID == nil || *rn.RenewalOfID != r.Grant.ID || rn.Ports != "daily" {
			t.Fatalf("renewal: %+v, %v", rn, err)
		}
		if _, err := f.s.RequestAccess(f.ctx, f.analyst, p, renew); !errors.As(err, &existing) {
			t.Errorf("second renewal: %v, want the first", err)
		}
		if _, err := f.s.RequestAccess(f.ctx, f.outsider, p, renew); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("renewing someone else's grant: %v", err)
		}
		f.clock.Add(24 * time.Hour)
		rn = f.decide(t, f.owner2, rn, models.VerdictApprove, "")
		old, _ := f.s.GrantByID(f.ctx, r.Grant.ID)
		if old.Status != models.GrantRenewed || rn.Grant == nil || !rn.Grant.ExpiresAt.Equal(start.Add(24*time.Hour).AddDate(0, 0, 90)) {
			t.Errorf("after renewal: old %s, new %+v", old.Status, rn.Grant)
		}
		f.verifyAudit(t)
	})
}

// TestRequestsArePrivate: nobody reads or acts on someone else's request or
// grant by naming its id.
func TestRequestsArePrivate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		r := f.ask(t, f.analyst, models.ClassInternal, 30)
		for _, u := range []*models.User{f.outsider, f.member, f.steward} {
			if _, err := f.s.AccessRequestByID(f.ctx, u, r.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s read the request: %v", u.Email, err)
			}
			if _, err := f.s.WithdrawAccess(f.ctx, u, r.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s withdrew the request: %v", u.Email, err)
			}
		}
		// The steward is no decider of an internal product (the policy asks no steward).
		if _, err := f.s.DecideAccess(f.ctx, f.steward, r.ID, models.VerdictApprove, ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("steward approved an internal request: %v", err)
		}
		if _, err := f.s.DecideAccess(f.ctx, f.outsider, r.ID, models.VerdictApprove, ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider approved: %v", err)
		}
		if _, err := f.s.DecideAccess(f.ctx, f.admin, r.ID, models.VerdictApprove, ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("an admin who is no owner approved: %v", err)
		}
		if _, err := f.s.AccessRequestByID(f.ctx, f.admin, r.ID); err != nil {
			t.Errorf("admins read every request: %v", err)
		}
		// The owner of the team requests another team's product: never their own decision.
		r = f.decide(t, f.owner, r, models.VerdictApprove, "")
		for _, u := range []*models.User{f.outsider, f.member} {
			if _, err := f.s.RevokeGrant(f.ctx, u, r.Grant.ID, "because"); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s revoked: %v", u.Email, err)
			}
			if _, err := f.s.ConfirmGrant(f.ctx, u, r.Grant.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s confirmed: %v", u.Email, err)
			}
		}
		mine, err := f.s.MyRequests(f.ctx, f.outsider)
		if err != nil || len(mine) != 0 {
			t.Errorf("outsider's requests: %v, %v", mine, err)
		}
	})
}

// TestWithdrawAndDeny: the requester withdraws a pending request; a denial
// needs a reason and ends the request.
func TestWithdrawAndDeny(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		r := f.ask(t, f.analyst, models.ClassInternal, 30)
		r, err := f.s.WithdrawAccess(f.ctx, f.analyst, r.ID)
		if err != nil || r.Status != models.RequestWithdrawn {
			t.Fatalf("withdraw: %+v, %v", r, err)
		}
		if _, err := f.s.WithdrawAccess(f.ctx, f.analyst, r.ID); !errors.Is(err, models.ErrConflict) {
			t.Errorf("withdraw twice: %v", err)
		}
		if _, err := f.s.DecideAccess(f.ctx, f.owner, r.ID, models.VerdictApprove, ""); !errors.Is(err, models.ErrConflict) {
			t.Errorf("approve a withdrawn request: %v", err)
		}
		r = f.ask(t, f.analyst, models.ClassInternal, 30)
		if _, err := f.s.DecideAccess(f.ctx, f.owner, r.ID, models.VerdictDeny, ""); !validationOn(err, "comment") {
			t.Errorf("deny without a reason: %v", err)
		}
		r = f.decide(t, f.owner, r, models.VerdictDeny, "Use the public aggregate instead.")
		if r.Status != models.RequestDenied || r.Grant != nil || len(r.Decisions) != 1 || r.Decisions[0].Comment != "Use the public aggregate instead." {
			t.Fatalf("denied: %+v", r)
		}
		if _, err := f.s.WithdrawAccess(f.ctx, f.analyst, r.ID); !errors.Is(err, models.ErrConflict) {
			t.Errorf("withdraw a denied request: %v", err)
		}
	})
}

// TestGrantExpiry runs the clock forward: reminders 7 days and 1 day
// before, refusal the moment the grant expires, and the sweep's audit event.
func TestGrantExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		p := f.products[models.ClassInternal]
		r := f.decide(t, f.owner, f.ask(t, f.analyst, models.ClassInternal, 30), models.VerdictApprove, "")
		g := r.Grant
		sweep := func(want models.SweepReport) {
			t.Helper()
			got, err := f.s.SweepAccess(f.ctx)
			if err != nil || got != want {
				t.Fatalf("sweep at %s: %+v, %v; want %+v", f.clock.Now().Format(time.DateTime), got, err, want)
			}
		}
		sweep(models.SweepReport{})
		f.clock.Add(23*24*time.Hour + time.Hour) // 6 days 23 hours left
		sweep(models.SweepReport{Reminded: 1})
		sweep(models.SweepReport{})
		f.clock.Add(6 * 24 * time.Hour) // 23 hours left
		sweep(models.SweepReport{Reminded: 1})
		sweep(models.SweepReport{})
		if _, err := f.s.CheckAccess(f.ctx, f.analyst, p, "daily"); err != nil {
			t.Fatalf("an hour before expiry: %v", err)
		}
		f.clock.Add(23 * time.Hour)
		// Expired by the clock, before any sweep ran.
		if _, err := f.s.CheckAccess(f.ctx, f.analyst, p, "daily"); err == nil {
			t.Fatalf("access at the expiry moment")
		}
		mark := f.lastEventID(t)
		sweep(models.SweepReport{Expired: 1})
		ev := f.oneEventAfter(t, mark)
		if ev.Action != "access.expire" || ev.ActorEmail != "system" || ev.ObjectID != fmt.Sprintf("sales/internal-orders#grant-%d", g.ID) {
			t.Errorf("expiry event %+v", ev)
		}
		got, _ := f.s.GrantByID(f.ctx, g.ID)
		if got.Status != models.GrantExpired || got.EndedAt == nil || !got.EndedAt.Equal(g.ExpiresAt) {
			t.Errorf("after the sweep: %+v", got)
		}
		sweep(models.SweepReport{})
		var kinds []string
		db.Model(&models.Notification{}).Where("user_id = ? AND kind LIKE 'grant.%'", f.analyst.ID).Order("id").Pluck("kind", &kinds)
		if fmt.Sprint(kinds) != "[grant.active grant.expiring grant.expiring grant.expired]" {
			t.Errorf("the holder was told %v", kinds)
		}
	})
}

// TestReviews: long-running grants of restricted products come up for
// review at the policy's interval, and a classification change puts every
// grant of the product up for review.
func TestReviews(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		r := f.ask(t, f.analyst, models.ClassRestricted, 90)
		f.decide(t, f.owner, r, models.VerdictApprove, "")
		r = f.decide(t, f.steward, r, models.VerdictApprove, "")
		if r.Grant.ReviewDueAt == nil || !r.Grant.ReviewDueAt.Equal(start.AddDate(0, 0, 30)) {
			t.Fatalf("review due %v, want 30 days after the start", r.Grant.ReviewDueAt)
		}
		f.clock.Add(30 * 24 * time.Hour)
		if rep, err := f.s.SweepAccess(f.ctx); err != nil || rep.ReviewsRequested != 1 {
			t.Fatalf("sweep: %+v, %v", rep, err)
		}
		in, err := f.s.Inbox(f.ctx, f.owner)
		if err != nil || len(in.Reviews) != 1 || in.Reviews[0].ID != r.Grant.ID {
			t.Fatalf("owner's reviews: %+v, %v", in, err)
		}
		g, err := f.s.ConfirmGrant(f.ctx, f.owner, r.Grant.ID)
		if err != nil || g.ReviewRequestedAt != nil || g.LastReviewedAt == nil || !g.ReviewDueAt.Equal(f.clock.Now().AddDate(0, 0, 30)) {
			t.Fatalf("confirm: %+v, %v", g, err)
		}
		if in, _ := f.s.Inbox(f.ctx, f.owner); len(in.Reviews) != 0 {
			t.Errorf("the review stays in the inbox after confirming")
		}

		// Reclassify the confidential product: its grant goes up for review.
		p := f.products[models.ClassConfidential]
		f.decide(t, f.owner, f.ask(t, f.analyst, models.ClassConfidential, 30), models.VerdictApprove, "")
		in2, err := f.s.InputOf(f.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		in2.Classification = models.ClassRestricted
		if _, err := f.s.UpdateProduct(f.ctx, f.owner, p, in2); err != nil {
			t.Fatal(err)
		}
		if in, _ := f.s.Inbox(f.ctx, f.owner2); len(in.Reviews) != 1 || in.Reviews[0].ProductID != p.ID {
			t.Errorf("after reclassifying, reviews are %+v", in.Reviews)
		}
		// New requests follow the new policy.
		rr := f.ask(t, f.outsider, models.ClassConfidential, 30)
		if rr.StewardApprovals != 1 || rr.Classification != models.ClassRestricted {
			t.Errorf("a request after reclassifying needs %d stewards under %s", rr.StewardApprovals, rr.Classification)
		}
		f.verifyAudit(t)
	})
}

// TestAccessPolicyEdits: only admins change policies; pending requests keep
// the approvals they were submitted under.
func TestAccessPolicyEdits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		pending := f.ask(t, f.analyst, models.ClassInternal, 30)
		in := models.AccessPolicyInput{RequestRequired: true, OwnerApprovals: 2, MaxDays: 60, ReviewDays: 0}
		if _, err := f.s.UpdateAccessPolicy(f.ctx, f.owner, models.ClassInternal, in); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("owner edited the policy: %v", err)
		}
		bad := in
		bad.OwnerApprovals = 0
		if _, err := f.s.UpdateAccessPolicy(f.ctx, f.admin, models.ClassInternal, bad); !validationOn(err, "owner_approvals") {
			t.Errorf("a request with no approvals: %v", err)
		}
		bad = in
		bad.MaxDays = 0
		if _, err := f.s.UpdateAccessPolicy(f.ctx, f.admin, models.ClassInternal, bad); !validationOn(err, "max_days") {
			t.Errorf("zero days: %v", err)
		}
		mark := f.lastEventID(t)
		if _, err := f.s.UpdateAccessPolicy(f.ctx, f.admin, models.ClassInternal, in); err != nil {
			t.Fatal(err)
		}
		ev := f.oneEventAfter(t, mark)
		f.wantEvent(t, ev, f.admin, "policy.update", "policy", models.ClassInternal)
		wantState(t, "after", ev.After, map[string]any{"owner_approvals": float64(2), "max_days": float64(60)})

		// The pending request still needs one owner; a new one needs two.
		if r := f.decide(t, f.owner, pending, models.VerdictApprove, ""); r.Status != models.RequestGranted {
			t.Errorf("pending request after the change: %s", r.Status)
		}
		r := f.ask(t, f.outsider, models.ClassInternal, 30)
		if r = f.decide(t, f.owner, r, models.VerdictApprove, ""); r.Status != models.RequestPending {
			t.Errorf("new request after one of two owners: %s", r.Status)
		}
		if r = f.decide(t, f.owner2, r, models.VerdictApprove, ""); r.Status != models.RequestGranted {
			t.Errorf("new request after two owners: %s", r.Status)
		}
		if _, err := f.s.RequestAccess(f.ctx, f.member, f.products[models.ClassConfidential], models.AccessRequestInput{}); err == nil {
			t.Errorf("member of the owning team asked for access")
		}
		// Opening a classification: no request needed any more.
		if _, err := f.s.UpdateAccessPolicy(f.ctx, f.admin, models.ClassConfidential, models.AccessPolicyInput{MaxDays: 30}); err != nil {
			t.Fatal(err)
		}
		if g, err := f.s.CheckAccess(f.ctx, f.outsider, f.products[models.ClassConfidential], ""); err != nil || g != nil {
			t.Errorf("open classification: %v, %v", g, err)
		}
	})
}

// TestDecisionRaces: many deciders at once on one restricted request give
// exactly one grant; approvals racing a withdrawal end in one state.
func TestDecisionRaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		var deciders []*models.User
		for i := range 4 {
			o := f.person(t, fmt.Sprintf("owner%d@example.com", i), fmt.Sprintf("Owner %d", i))
			if _, err := f.s.AddMember(f.ctx, f.admin, f.orders, o.Email, models.RoleOwner); err != nil {
				t.Fatal(err)
			}
			st := f.person(t, fmt.Sprintf("steward%d@example.com", i), fmt.Sprintf("Steward %d", i))
			if _, err := f.s.AddSteward(f.ctx, f.admin, f.sales, st.Email); err != nil {
				t.Fatal(err)
			}
			deciders = append(deciders, o, st)
		}
		for round := range 3 {
			requester := f.person(t, fmt.Sprintf("r%d@example.com", round), "Requester")
			r := f.ask(t, requester, models.ClassRestricted, 30)
			var wg sync.WaitGroup
			errs := make([]error, len(deciders))
			for i, u := range deciders {
				wg.Go(func() { _, errs[i] = f.s.DecideAccess(f.ctx, u, r.ID, models.VerdictApprove, "") })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, models.ErrConflict):
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
			var grants, decisions int64
			db.Model(&models.Grant{}).Where("request_id = ?", r.ID).Count(&grants)
			db.Model(&models.AccessDecision{}).Where("request_id = ?", r.ID).Count(&decisions)
			got, _ := f.s.AccessRequestByID(f.ctx, f.admin, r.ID)
			if ok != 2 || grants != 1 || decisions != 2 || got.Status != models.RequestGranted {
				t.Fatalf("round %d: %d approvals accepted, %d decisions, %d grants, status %s; want 2, 2, 1, granted",
					round, ok, decisions, grants, got.Status)
			}
		}
		for round := range 8 {
			requester := f.person(t, fmt.Sprintf("w%d@example.com", round), "Withdrawer")
			r := f.ask(t, requester, models.ClassInternal, 30)
			var wg sync.WaitGroup
			var approveErr, withdrawErr error
			wg.Go(func() { _, approveErr = f.s.DecideAccess(f.ctx, f.owner, r.ID, models.VerdictApprove, "") })
			wg.Go(func() { _, withdrawErr = f.s.WithdrawAccess(f.ctx, requester, r.ID) })
			wg.Wait()
			got, _ := f.s.AccessRequestByID(f.ctx, f.admin, r.ID)
			var grants int64
			db.Model(&models.Grant{}).Where("request_id = ?", r.ID).Count(&grants)
			switch {
			case approveErr == nil && errors.Is(withdrawErr, models.ErrConflict):
				if got.Status != models.RequestGranted || grants != 1 {
					t.Fatalf("approval won but status %s, %d grants", got.Status, grants)
				}
			case withdrawErr == nil && errors.Is(approveErr, models.ErrConflict):
				if got.Status != models.RequestWithdrawn || grants != 0 {
					t.Fatalf("withdrawal won but status %s, %d grants", got.Status, grants)
				}
			default:
				t.Fatalf("approve: %v, withdraw: %v", approveErr, withdrawErr)
			}
		}
		f.verifyAudit(t)
	})
}

// TestAuditChainDetectsTampering changes, then removes, an event behind the
// app's back (lifting the append-only triggers as an attacker with database
// access would) and expects verify to point at it.
func TestAuditChainDetectsTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		f.ask(t, f.analyst, models.ClassInternal, 30)
		f.verifyAudit(t)
		var ids []uint
		db.Model(&models.AuditEvent{}).Order("id").Pluck("id", &ids)
		if len(ids) < 5 {
			t.Fatalf("only %d events", len(ids))
		}
		victim := ids[len(ids)/2]
		if models.Dialect(db) == "postgres" {
			db.Exec(`DROP TRIGGER audit_events_append_only ON audit_events`)
		} else {
			db.Exec(`DROP TRIGGER audit_events_no_update`)
			db.Exec(`DROP TRIGGER audit_events_no_delete`)
		}
		if err := db.Exec(`UPDATE audit_events SET actor_email = 'someone.else@example.com' WHERE id = ?`, victim).Error; err != nil {
			t.Fatal(err)
		}
		v, err := f.s.VerifyAudit(f.ctx, f.admin)
		if err != nil || v.OK || v.BadID != victim {
			t.Fatalf("after changing event %d: %+v, %v", victim, v, err)
		}
		if _, err := f.s.VerifyAudit(f.ctx, f.analyst); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a non-admin verified: %v", err)
		}
		// Removing an event breaks the link of the one after it.
		if err := db.Exec(`DELETE FROM audit_events WHERE id = ?`, victim).Error; err != nil {
			t.Fatal(err)
		}
		v, _ = f.s.VerifyAudit(f.ctx, f.admin)
		if v.OK || v.BadID <= victim {
			t.Fatalf("after removing event %d: %+v", victim, v)
		}
	})
}
