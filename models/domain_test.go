package models_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

func TestCreateDomain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db) // holds the domain "sales"
		cases := []struct {
			name      string
			in        models.DomainInput
			wantField string
			want      models.DomainInput // stored values, after trimming
		}{
			{
				name: "valid",
				in:   models.DomainInput{Slug: "finance", Name: "Finance", Description: "The ledger.", ContactEmail: "data-finance@example.com"},
				want: models.DomainInput{Slug: "finance", Name: "Finance", Description: "The ledger.", ContactEmail: "data-finance@example.com"},
			},
			{
				name: "trimmed and lower-cased",
				in:   models.DomainInput{Slug: " supply-chain ", Name: "  Supply Chain ", Description: " Stock. ", ContactEmail: " Data-Supply@Example.COM "},
				want: models.DomainInput{Slug: "supply-chain", Name: "Supply Chain", Description: "Stock.", ContactEmail: "data-supply@example.com"},
			},
			{
				name: "shortest slug, longest name, no contact",
				in:   models.DomainInput{Slug: "hr", Name: strings.Repeat("n", 80)},
				want: models.DomainInput{Slug: "hr", Name: strings.Repeat("n", 80)},
			},
			{
				name: "longest slug with digits",
				in:   models.DomainInput{Slug: "a1-" + strings.Repeat("b", 37), Name: "Long"},
				want: models.DomainInput{Slug: "a1-" + strings.Repeat("b", 37), Name: "Long"},
			},
			{name: "duplicate slug", in: models.DomainInput{Slug: "sales", Name: "Sales again"}, wantField: "slug"},
			{name: "empty name", in: models.DomainInput{Slug: "legal", Name: ""}, wantField: "name"},
			{name: "blank name", in: models.DomainInput{Slug: "legal", Name: "   "}, wantField: "name"},
			{name: "name of 81 characters", in: models.DomainInput{Slug: "legal", Name: strings.Repeat("n", 81)}, wantField: "name"},
			{name: "name of 81 letters counted as characters", in: models.DomainInput{Slug: "legal", Name: strings.Repeat("é", 81)}, wantField: "name"},
			{name: "description too long", in: models.DomainInput{Slug: "legal", Name: "Legal", Description: strings.Repeat("d", 2001)}, wantField: "description"},
			{name: "empty slug", in: models.DomainInput{Slug: "", Name: "Legal"}, wantField: "slug"},
			{name: "upper-case slug", in: models.DomainInput{Slug: "Sales", Name: "Legal"}, wantField: "slug"},
			{name: "reserved slug", in: models.DomainInput{Slug: "team", Name: "Team"}, wantField: "slug"},
			{name: "slug starts with hyphen", in: models.DomainInput{Slug: "-x", Name: "Legal"}, wantField: "slug"},
			{name: "slug ends with hyphen", in: models.DomainInput{Slug: "x-", Name: "Legal"}, wantField: "slug"},
			{name: "one-letter slug", in: models.DomainInput{Slug: "a", Name: "Legal"}, wantField: "slug"},
			{name: "double hyphen", in: models.DomainInput{Slug: "x--y", Name: "Legal"}, wantField: "slug"},
			{name: "slug of 41 characters", in: models.DomainInput{Slug: strings.Repeat("a", 41), Name: "Legal"}, wantField: "slug"},
			{name: "slug starts with digit", in: models.DomainInput{Slug: "1st", Name: "Legal"}, wantField: "slug"},
			{name: "slug with underscore", in: models.DomainInput{Slug: "sales_eu", Name: "Legal"}, wantField: "slug"},
			{name: "bad contact email", in: models.DomainInput{Slug: "legal", Name: "Legal", ContactEmail: "legal team"}, wantField: "contact_email"},
			{name: "contact email with display name", in: models.DomainInput{Slug: "legal", Name: "Legal", ContactEmail: "Legal <legal@example.com>"}, wantField: "contact_email"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, mark := f.rows(t), f.lastEventID(t)
				d, err := f.s.CreateDomain(f.ctx, f.admin, tc.in)
				checkErr(t, err, nil, tc.wantField)
				if tc.wantField != "" {
					f.wantRows(t, before, nil)
					return
				}
				f.wantRows(t, before, rowCounts{"domains": 1, "audit_events": 1})
				got, err := f.s.DomainBySlug(f.ctx, tc.want.Slug)
				if err != nil {
					t.Fatalf("load created domain: %v", err)
				}
				stored := models.DomainInput{Slug: got.Slug, Name: got.Name, Description: got.Description, ContactEmail: got.ContactEmail}
				if stored != tc.want || got.ID != d.ID || got.Archived() {
					t.Errorf("stored %+v (id %d, archived %v), want %+v (id %d, live)", stored, got.ID, got.Archived(), tc.want, d.ID)
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, f.admin, "domain.create", "domain", tc.want.Slug)
				if ev.Before != "" {
					t.Errorf("before = %q, want empty for a creation", ev.Before)
				}
				wantState(t, "after", ev.After, map[string]any{
					"slug": tc.want.Slug, "name": tc.want.Name, "description": tc.want.Description,
					"contact_email": tc.want.ContactEmail, "archived": false,
				})
			})
		}
	})
}

// TestDomainChangesNeedAnAdmin: every domain change refuses a non-admin and writes nothing.
func TestDomainChangesNeedAnAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		gone := f.deactivated(t, "gone@example.com")
		changes := []struct {
			name string
			do   func(actor *models.User) error
		}{
			{"create", func(a *models.User) error {
				_, err := f.s.CreateDomain(f.ctx, a, models.DomainInput{Slug: "finance", Name: "Finance"})
				return err
			}},
			{"update", func(a *models.User) error {
				_, err := f.s.UpdateDomain(f.ctx, a, "sales", models.DomainInput{Slug: "sales", Name: "Hijacked"})
				return err
			}},
			{"archive", func(a *models.User) error {
				_, err := f.s.SetDomainArchived(f.ctx, a, "sales", true)
				return err
			}},
			{"remove", func(a *models.User) error {
				_, err := f.s.RemoveDomain(f.ctx, a, "sales")
				return err
			}},
		}
		actors := []struct {
			name string
			user *models.User
			want error
		}{
			{"team owner", f.owner, models.ErrForbidden},
			{"signed in", f.outsider, models.ErrForbidden},
			{"deactivated", gone, models.ErrUnauthenticated},
			{"nobody", nil, models.ErrUnauthenticated},
		}
		for _, c := range changes {
			for _, a := range actors {
				t.Run(c.name+"/"+a.name, func(t *testing.T) {
					before := f.rows(t)
					checkErr(t, c.do(a.user), a.want, "")
					f.wantRows(t, before, nil)
					d, err := f.s.DomainBySlug(f.ctx, "sales")
					if err != nil || d.Name != "Sales" || d.Archived() {
						t.Fatalf("sales after refused %s: %+v, %v", c.name, d, err)
					}
				})
			}
		}
	})
}

func TestUpdateDomain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		f.domain(t, "finance", "Finance")

		cases := []struct {
			name      string
			slug      string
			in        models.DomainInput
			wantErr   error
			wantField string
			// for successes: the audit event's object and the states it records
			wantBefore, wantAfter map[string]any
		}{
			{
				name:       "rename and describe",
				slug:       "sales",
				in:         models.DomainInput{Slug: "sales", Name: "Sales & Returns", Description: "Orders and returns.", ContactEmail: "sales-data@example.com"},
				wantBefore: map[string]any{"slug": "sales", "name": "Sales", "description": "", "contact_email": "data-sales@example.com"},
				wantAfter:  map[string]any{"slug": "sales", "name": "Sales & Returns", "description": "Orders and returns.", "contact_email": "sales-data@example.com"},
			},
			{
				name:       "change slug",
				slug:       "sales",
				in:         models.DomainInput{Slug: "revenue", Name: "Revenue"},
				wantBefore: map[string]any{"slug": "sales", "name": "Sales & Returns"},
				wantAfter:  map[string]any{"slug": "revenue", "name": "Revenue", "contact_email": ""},
			},
			{name: "old slug is gone", slug: "sales", in: models.DomainInput{Slug: "sales", Name: "Sales"}, wantErr: models.ErrNotFound},
			{name: "duplicate slug", slug: "revenue", in: models.DomainInput{Slug: "finance", Name: "Revenue"}, wantField: "slug"},
			{name: "invalid slug", slug: "revenue", in: models.DomainInput{Slug: "Revenue", Name: "Revenue"}, wantField: "slug"},
			{name: "empty name", slug: "revenue", in: models.DomainInput{Slug: "revenue", Name: " "}, wantField: "name"},
			{name: "bad contact", slug: "revenue", in: models.DomainInput{Slug: "revenue", Name: "Revenue", ContactEmail: "nobody"}, wantField: "contact_email"},
			{name: "unknown domain", slug: "nope", in: models.DomainInput{Slug: "nope", Name: "Nope"}, wantErr: models.ErrNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, mark := f.rows(t), f.lastEventID(t)
				var old *models.Domain
				if tc.wantErr == nil {
					var err error
					if old, err = f.s.DomainBySlug(f.ctx, tc.slug); err != nil {
						t.Fatal(err)
					}
				}
				f.clock.Add(time.Minute)
				d, err := f.s.UpdateDomain(f.ctx, f.admin, tc.slug, tc.in)
				checkErr(t, err, tc.wantErr, tc.wantField)
				if tc.wantErr != nil || tc.wantField != "" {
					f.wantRows(t, before, nil)
					if old != nil {
						now, err := f.s.DomainBySlug(f.ctx, tc.slug)
						if err != nil || now.Slug != old.Slug || now.Name != old.Name || now.ContactEmail != old.ContactEmail {
							t.Errorf("domain changed by a refused update: %+v, %v", now, err)
						}
					}
					return
				}
				f.wantRows(t, before, rowCounts{"audit_events": 1})
				got, err := f.s.DomainBySlug(f.ctx, tc.in.Slug)
				if err != nil {
					t.Fatalf("load %s: %v", tc.in.Slug, err)
				}
				if got.ID != old.ID || got.ID != d.ID || got.Name != tc.in.Name || got.Description != tc.in.Description || got.ContactEmail != tc.in.ContactEmail {
					t.Errorf("stored %+v, want id %d with %+v", got, old.ID, tc.in)
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, f.admin, "domain.update", "domain", tc.in.Slug)
				wantState(t, "before", ev.Before, tc.wantBefore)
				wantState(t, "after", ev.After, tc.wantAfter)
			})
		}
	})
}

func TestArchiveAndRestoreDomain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		f.domain(t, "finance", "Finance")

		listed := func(withArchived bool) map[string]bool {
			t.Helper()
			ds, err := f.s.ListDomains(f.ctx, withArchived)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for _, d := range ds {
				out[d.Slug] = true
			}
			return out
		}

		steps := []struct {
			name       string
			slug       string
			archive    bool
			wantErr    error
			wantAction string
			wantListed bool // among live domains afterwards
		}{
			{name: "archive", slug: "sales", archive: true, wantAction: "domain.archive"},
			{name: "restore", slug: "sales", archive: false, wantAction: "domain.restore", wantListed: true},
			{name: "archive other", slug: "finance", archive: true, wantAction: "domain.archive"},
			{name: "unknown", slug: "nope", archive: true, wantErr: models.ErrNotFound},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				f.clock.Add(time.Hour)
				before, mark := f.rows(t), f.lastEventID(t)
				d, err := f.s.SetDomainArchived(f.ctx, f.admin, st.slug, st.archive)
				checkErr(t, err, st.wantErr, "")
				if st.wantErr != nil {
					f.wantRows(t, before, nil)
					return
				}
				f.wantRows(t, before, rowCounts{"audit_events": 1})
				got, err := f.s.DomainBySlug(f.ctx, st.slug)
				if err != nil {
					t.Fatal(err)
				}
				if got.Archived() != st.archive || d.Archived() != st.archive {
					t.Errorf("archived = %v (returned %v), want %v", got.Archived(), d.Archived(), st.archive)
				}
				if st.archive && !got.ArchivedAt.Equal(f.clock.Now()) {
					t.Errorf("archived at %v, want the store's clock %v", got.ArchivedAt, f.clock.Now())
				}
				if live := listed(false)[st.slug]; live != st.wantListed {
					t.Errorf("listed among live domains = %v, want %v", live, st.wantListed)
				}
				if !listed(true)[st.slug] {
					t.Errorf("%s missing from the listing with archived domains", st.slug)
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, f.admin, st.wantAction, "domain", st.slug)
				wantState(t, "before", ev.Before, map[string]any{"slug": st.slug, "archived": !st.archive})
				wantState(t, "after", ev.After, map[string]any{"slug": st.slug, "archived": st.archive})
			})
		}
	})
}

func TestRemoveDomain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db) // sales has the orders team
		f.domain(t, "empty", "Empty")

		cases := []struct {
			name        string
			slug        string
			want        models.Removal
			wantErr     error
			wantRows    rowCounts
			wantAction  string // "" when no event is expected
			wantRemains bool
		}{
			{name: "empty domain is deleted", slug: "empty", want: models.Deleted,
				wantRows: rowCounts{"domains": -1, "audit_events": 1}, wantAction: "domain.delete"},
			{name: "domain with teams is archived", slug: "sales", want: models.Archived,
				wantRows: rowCounts{"audit_events": 1}, wantAction: "domain.archive", wantRemains: true},
			{name: "archived domain with teams stays archived, quietly", slug: "sales", want: models.Archived,
				wantRemains: true},
			{name: "deleted domain is gone", slug: "empty", wantErr: models.ErrNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f.clock.Add(time.Hour)
				before, mark := f.rows(t), f.lastEventID(t)
				got, err := f.s.RemoveDomain(f.ctx, f.admin, tc.slug)
				checkErr(t, err, tc.wantErr, "")
				if got != tc.want {
					t.Errorf("RemoveDomain = %q, want %q", got, tc.want)
				}
				f.wantRows(t, before, tc.wantRows)
				d, err := f.s.DomainBySlug(f.ctx, tc.slug)
				if tc.wantRemains {
					if err != nil || !d.Archived() {
						t.Errorf("domain after removal: %+v, %v; want it kept, archived", d, err)
					}
				} else {
					checkErr(t, err, models.ErrNotFound, "")
				}
				if tc.wantAction == "" {
					if evs := f.eventsAfter(t, mark); len(evs) != 0 {
						t.Errorf("wrote %d audit events, want none", len(evs))
					}
					return
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, f.admin, tc.wantAction, "domain", tc.slug)
				switch tc.want {
				case models.Deleted:
					wantState(t, "before", ev.Before, map[string]any{"slug": tc.slug, "name": "Empty"})
					if ev.After != "" {
						t.Errorf("after = %q, want empty for a deletion", ev.After)
					}
				case models.Archived:
					wantState(t, "before", ev.Before, map[string]any{"archived": false})
					wantState(t, "after", ev.After, map[string]any{"archived": true})
				}
			})
		}
		// The team survives its domain's archiving.
		if _, err := f.s.TeamBySlug(f.ctx, "sales", "orders"); err != nil {
			t.Errorf("team after its domain was archived: %v", err)
		}
	})
}

// A patch that archives and edits commits both or neither, and records
// only what changed.
func TestPatchDomain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		in := models.DomainInput{Slug: f.sales.Slug, Name: f.sales.Name, Description: f.sales.Description, ContactEmail: f.sales.ContactEmail}
		yes := true
		events := func(action string) int64 {
			var n int64
			db.Model(&models.AuditEvent{}).Where("action = ? AND object_id = ?", action, f.sales.Slug).Count(&n)
			return n
		}
		d, err := f.s.PatchDomain(f.ctx, f.admin, f.sales.Slug, in, &yes)
		if err != nil || !d.Archived() {
			t.Fatalf("archive only: %v, archived %v", err, d != nil && d.Archived())
		}
		if events("domain.archive") != 1 || events("domain.update") != 0 {
			t.Errorf("archive only wrote %d archive and %d update events, want 1 and 0", events("domain.archive"), events("domain.update"))
		}
		other, err := f.s.CreateDomain(f.ctx, f.admin, models.DomainInput{Slug: "legal", Name: "Legal"})
		if err != nil {
			t.Fatal(err)
		}
		no := false
		bad := in
		bad.Slug = other.Slug
		if _, err := f.s.PatchDomain(f.ctx, f.admin, f.sales.Slug, bad, &no); err == nil {
			t.Fatal("a patch to a taken slug was accepted")
		}
		still, err := f.s.DomainBySlug(f.ctx, f.sales.Slug)
		if err != nil || !still.Archived() {
			t.Fatalf("a refused patch restored the domain: %v", err)
		}
	})
}
