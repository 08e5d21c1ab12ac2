package models_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

func TestSeedDemoAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s := models.NewStore(db)
		s.Mail = true
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(s.Now()); d < -time.Minute || d > time.Minute || !s.Mail {
			t.Fatalf("the seed left the store's clock %v off, or mail off", d)
		}
		var mails int64
		if err := db.Model(&models.MailOutbox{}).Count(&mails).Error; err != nil || mails != 0 {
			t.Errorf("the seed queued %d emails (%v), want none for its history", mails, err)
		}
		now := time.Now()
		person := func(email string) *models.User {
			t.Helper()
			u, err := s.UserByEmail(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		leo, grace, sofia, daniel := person("leo.martins@northwind.example"), person("grace.okafor@northwind.example"),
			person("sofia.rossi@northwind.example"), person("daniel.kim@northwind.example")

		// Grace stewards three domains, Daniel one more.
		for _, st := range []struct {
			u *models.User
			n int
		}{{grace, 3}, {daniel, 1}} {
			if ids, err := s.StewardDomains(ctx, st.u.ID); err != nil || len(ids) != st.n {
				t.Errorf("%s stewards %d domains (%v), want %d", st.u.Name, len(ids), err, st.n)
			}
		}

		// Requests in every state, hours to weeks old.
		var reqs []models.AccessRequest
		if err := db.Order("id").Find(&reqs).Error; err != nil {
			t.Fatal(err)
		}
		statuses := map[string]int{}
		oldest, newest := now, time.Time{}
		renewals := 0
		for _, r := range reqs {
			statuses[r.Status]++
			if r.CreatedAt.Before(oldest) {
				oldest = r.CreatedAt
			}
			if r.CreatedAt.After(newest) {
				newest = r.CreatedAt
			}
			if r.RenewalOfID != nil && r.Status == models.RequestPending {
				renewals++
			}
		}
		for _, st := range []string{models.RequestPending, models.RequestGranted, models.RequestDenied, models.RequestWithdrawn} {
			if statuses[st] == 0 {
				t.Errorf("no %s request in the demo; have %v", st, statuses)
			}
		}
		if statuses[models.RequestPending] < 5 {
			t.Errorf("%d pending requests, want several for different deciders", statuses[models.RequestPending])
		}
		if renewals != 1 {
			t.Errorf("%d pending renewals, want 1", renewals)
		}
		if now.Sub(oldest) < 30*24*time.Hour || now.Sub(newest) > 24*time.Hour {
			t.Errorf("requests were made between %v and %v ago, want weeks to hours", now.Sub(oldest), now.Sub(newest))
		}

		// Grants in every state, some ending soon.
		var grants []models.Grant
		if err := db.Order("id").Find(&grants).Error; err != nil {
			t.Fatal(err)
		}
		gstatus := map[string]int{}
		var within7, within1, months, reviews int
		for _, g := range grants {
			gstatus[g.Status]++
			if !g.ActiveAt(now) {
				continue
			}
			switch left := g.ExpiresAt.Sub(now); {
			case left < 24*time.Hour:
				within1++
			case left < 7*24*time.Hour:
				within7++
			case left > 60*24*time.Hour:
				months++
			}
			if g.ReviewRequestedAt != nil {
				reviews++
			}
		}
		if gstatus[models.GrantActive] == 0 || gstatus[models.GrantExpired] == 0 || gstatus[models.GrantRevoked] == 0 {
			t.Errorf("grants by status %v, want active, expired and revoked ones", gstatus)
		}
		if within1 == 0 || within7 == 0 || months == 0 || reviews == 0 {
			t.Errorf("active grants: %d end within a day, %d within 7 days, %d in months, %d are up for review; want some of each",
				within1, within7, months, reviews)
		}
		var revoked models.Grant
		if err := db.Where("status = ?", models.GrantRevoked).First(&revoked).Error; err != nil || revoked.EndReason == "" || revoked.EndedByID == nil {
			t.Errorf("revoked grant %+v without its reason or who revoked it (%v)", revoked, err)
		}
		var denial models.AccessDecision
		if err := db.Where("verdict = ?", models.VerdictDeny).First(&denial).Error; err != nil || len(denial.Comment) < 40 {
			t.Errorf("denial %+v without a reason (%v)", denial, err)
		}

		// The people who sign in find something waiting.
		graceIn, err := s.Inbox(ctx, grace)
		if err != nil {
			t.Fatal(err)
		}
		asSteward := 0
		for _, it := range graceIn.Requests {
			if it.Decider.Steward && it.Request.StewardApprovals > 0 {
				asSteward++
			}
		}
		if asSteward == 0 || len(graceIn.Reviews) == 0 {
			t.Errorf("Grace's inbox holds %d requests for a steward and %d reviews, want some of each", asSteward, len(graceIn.Reviews))
		}
		for _, owner := range []*models.User{sofia, daniel} {
			in, err := s.Inbox(ctx, owner)
			if err != nil {
				t.Fatal(err)
			}
			if len(in.Requests) == 0 || len(in.Reviews) == 0 {
				t.Errorf("%s's inbox holds %d requests and %d reviews, want some of each", owner.Name, len(in.Requests), len(in.Reviews))
			}
		}
		// A restricted request an owner approved waits for the steward, not for the owner again.
		waitsForSteward := false
		for _, it := range graceIn.Requests {
			if it.Request.Classification == models.ClassRestricted && len(it.Request.Decisions) == 1 &&
				it.Request.Decisions[0].AsOwner && it.Request.WaitingFor() == "a steward's approval" {
				waitsForSteward = true
			}
		}
		if !waitsForSteward {
			t.Error("no restricted request waits for the steward after its owner approved")
		}

		mine, err := s.MyGrants(ctx, leo)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) == 0 || !mine[0].ActiveAt(now) {
			t.Errorf("Leo holds %d grants, want active ones", len(mine))
		}
		asked, err := s.MyRequests(ctx, leo)
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, r := range asked {
			if r.Status == models.RequestPending {
				pending++
			}
		}
		if pending < 2 {
			t.Errorf("Leo has %d pending requests, want at least 2", pending)
		}

		// The sweep's reminders and expiry notices were sent.
		for _, kind := range []string{"request.submitted", "request.denied", "grant.active", "grant.expiring", "grant.expired", "grant.revoked", "grant.review"} {
			var n int64
			if err := db.Model(&models.Notification{}).Where("kind = ?", kind).Count(&n).Error; err != nil || n == 0 {
				t.Errorf("no %s notification (%v)", kind, err)
			}
		}

		if v, err := s.VerifyAudit(ctx, nil); err != nil || !v.OK {
			t.Fatalf("audit chain after the seed: %+v, %v", v, err)
		}

		// A second seed changes nothing.
		counts := func() map[string]int64 {
			out := map[string]int64{}
			for name, model := range map[string]any{
				"requests": &models.AccessRequest{}, "decisions": &models.AccessDecision{}, "grants": &models.Grant{},
				"stewards": &models.DomainSteward{}, "notifications": &models.Notification{}, "events": &models.AuditEvent{},
			} {
				var n int64
				if err := db.Model(model).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				out[name] = n
			}
			return out
		}
		before := counts()
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatalf("second seed: %v", err)
		}
		after := counts()
		for name, n := range before {
			if after[name] != n {
				t.Errorf("second seed changed %s: %d -> %d", name, n, after[name])
			}
		}
		// Nor does a restart a month later: the stories do not play again.
		s.Now = func() time.Time { return time.Now().AddDate(0, 1, 0) }
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatalf("seed a month later: %v", err)
		}
		for name, n := range counts() {
			if after[name] != n {
				t.Errorf("a seed a month later changed %s: %d -> %d", name, after[name], n)
			}
		}
		t.Logf("access seeded: %v; requests %v; grants %v", after, statuses, gstatus)
	})
}
