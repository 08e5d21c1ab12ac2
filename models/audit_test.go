package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// TestAuditIsAppendOnly: the database itself refuses to change or remove an
// audit event, whatever path the statement takes.
func TestAuditIsAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		var ev models.AuditEvent
		if err := db.Where("action = ?", "domain.create").First(&ev).Error; err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			do   func() error
		}{
			{"raw update of one event", func() error {
				return db.Exec(`UPDATE audit_events SET action = 'domain.tampered', actor_email = 'mallory@example.com' WHERE id = ?`, ev.ID).Error
			}},
			{"raw update of every event", func() error {
				return db.Exec(`UPDATE audit_events SET after = ''`).Error
			}},
			{"raw delete of one event", func() error {
				return db.Exec(`DELETE FROM audit_events WHERE id = ?`, ev.ID).Error
			}},
			{"raw delete of every event", func() error {
				return db.Exec(`DELETE FROM audit_events`).Error
			}},
			{"gorm update", func() error {
				return db.Model(&models.AuditEvent{}).Where("id = ?", ev.ID).Update("object_id", "finance").Error
			}},
			{"gorm save", func() error {
				changed := ev
				changed.RequestID = "forged"
				return db.Save(&changed).Error
			}},
			{"gorm delete", func() error {
				return db.Delete(&models.AuditEvent{}, ev.ID).Error
			}},
			{"truncate (postgres) or delete all (sqlite)", func() error {
				if models.Dialect(db) == "postgres" {
					return db.Exec(`TRUNCATE audit_events`).Error
				}
				return db.Exec(`DELETE FROM audit_events WHERE 1 = 1`).Error
			}},
			{"inside a transaction", func() error {
				return db.Transaction(func(tx *gorm.DB) error {
					return tx.Exec(`DELETE FROM audit_events WHERE action = ?`, "domain.create").Error
				})
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := f.rows(t)
				if err := tc.do(); err == nil {
					t.Fatalf("%s: the database accepted it", dbtest.Name(db))
				} else if !strings.Contains(err.Error(), "append-only") {
					t.Errorf("refused with %v, want the append-only trigger's message", err)
				}
				f.wantRows(t, before, nil)
				var now models.AuditEvent
				if err := db.First(&now, ev.ID).Error; err != nil {
					t.Fatalf("event %d after the attempt: %v", ev.ID, err)
				}
				if now.Action != ev.Action || now.ActorEmail != ev.ActorEmail || now.ObjectID != ev.ObjectID ||
					now.After != ev.After || now.RequestID != ev.RequestID || !now.At.Equal(ev.At) {
					t.Errorf("event changed:\n got %+v\nwant %+v", now, ev)
				}
			})
		}
		// Appending still works.
		if _, err := f.s.CreateDomain(f.ctx, f.admin, models.DomainInput{Slug: "finance", Name: "Finance"}); err != nil {
			t.Errorf("append after refused changes: %v", err)
		}
	})
}

func TestListAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		// The fixture wrote, at start and in this order: user.create for ada,
		// olga, max, otto; domain.create sales; team.create sales/orders;
		// member.add olga, max. Then, an hour apart:
		at := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
		step := func(h int, do func() error) {
			t.Helper()
			f.clock.Add(at(h).Sub(f.clock.Now()))
			if err := do(); err != nil {
				t.Fatal(err)
			}
		}
		step(1, func() error {
			_, err := f.s.UpdateTeam(f.ctx, f.owner, f.orders, models.TeamInput{Slug: "orders", Name: "Orders and Returns"})
			return err
		})
		step(2, func() error {
			_, err := f.s.CreateDomain(f.ctx, f.admin, models.DomainInput{Slug: "finance", Name: "Finance"})
			return err
		})
		step(3, func() error {
			_, err := f.s.UpdateDomain(f.ctx, f.admin, "finance", models.DomainInput{Slug: "finance", Name: "Finance & Control"})
			return err
		})
		step(4, func() error {
			_, err := f.s.AddMember(f.ctx, f.owner, f.orders, f.outsider.Email, models.RoleMember)
			return err
		})
		step(5, func() error {
			_, err := f.s.SetAdmin(f.ctx, f.admin, f.outsider.ID, true)
			return err
		})
		var tok *models.APIToken
		step(6, func() (err error) {
			tok, _, err = f.s.CreateToken(f.ctx, f.member, "laptop")
			return err
		})

		var (
			e1  = "user.create ada@example.com"
			e2  = "user.create olga@example.com"
			e3  = "user.create max@example.com"
			e4  = "user.create otto@example.com"
			e5  = "domain.create sales"
			e6  = "team.create sales/orders"
			e7  = "member.add sales/orders"
			e8  = "member.add sales/orders"
			e9  = "team.update sales/orders"
			e10 = "domain.create finance"
			e11 = "domain.update finance"
			e12 = "member.add sales/orders"
			e13 = "user.admin.grant otto@example.com"
			e14 = "token.create " + tok.Prefix
		)
		all := []string{e14, e13, e12, e11, e10, e9, e8, e7, e6, e5, e4, e3, e2, e1}
		cet := time.FixedZone("CET", 3600)

		cases := []struct {
			name      string
			filter    models.AuditFilter
			page      models.Page
			want      []string
			wantTotal int64
		}{
			{name: "everything, newest first", want: all},
			{name: "actor", filter: models.AuditFilter{Actor: "olga"}, want: []string{e12, e9}},
			{name: "actor in any case", filter: models.AuditFilter{Actor: "OLGA@Example"}, want: []string{e12, e9}},
			{name: "actor matching everyone", filter: models.AuditFilter{Actor: "example.com"}, want: all},
			{name: "action prefix", filter: models.AuditFilter{Action: "domain"}, want: []string{e11, e10, e5}},
			{name: "exact action", filter: models.AuditFilter{Action: "domain.create"}, want: []string{e10, e5}},
			{name: "prefix stops at a dot", filter: models.AuditFilter{Action: "dom"}, want: nil},
			{name: "member actions", filter: models.AuditFilter{Action: "member"}, want: []string{e12, e8, e7}},
			{name: "nested prefix", filter: models.AuditFilter{Action: "user.admin"}, want: []string{e13}},
			{name: "user actions", filter: models.AuditFilter{Action: "user"}, want: []string{e13, e4, e3, e2, e1}},
			{name: "object type", filter: models.AuditFilter{ObjectType: "team"}, want: []string{e12, e9, e8, e7, e6}},
			{name: "object", filter: models.AuditFilter{Object: "finance"}, want: []string{e11, e10}},
			{name: "part of an object", filter: models.AuditFilter{Object: "sales"}, want: []string{e12, e9, e8, e7, e6, e5}},
			{name: "object type and object", filter: models.AuditFilter{ObjectType: "domain", Object: "sales"}, want: []string{e5}},
			{name: "actor and action", filter: models.AuditFilter{Actor: "max", Action: "token"}, want: []string{e14}},
			{name: "since is inclusive", filter: models.AuditFilter{Since: at(2)}, want: []string{e14, e13, e12, e11, e10}},
			{name: "until is exclusive", filter: models.AuditFilter{Until: at(2)}, want: []string{e9, e8, e7, e6, e5, e4, e3, e2, e1}},
			{name: "since and until", filter: models.AuditFilter{Since: at(2), Until: at(4)}, want: []string{e11, e10}},
			{name: "since between events", filter: models.AuditFilter{Since: at(4).Add(-time.Second)}, want: []string{e14, e13, e12}},
			{name: "times in another zone", filter: models.AuditFilter{Since: at(2).In(cet), Until: at(4).In(cet)}, want: []string{e11, e10}},
			{name: "nothing in range", filter: models.AuditFilter{Since: at(7)}, want: nil},
			{name: "first page", page: models.NewPage(1, 5), want: all[0:5], wantTotal: 14},
			{name: "second page", page: models.NewPage(2, 5), want: all[5:10], wantTotal: 14},
			{name: "last page", page: models.NewPage(3, 5), want: all[10:], wantTotal: 14},
			{name: "past the end", page: models.NewPage(4, 5), want: nil, wantTotal: 14},
			{name: "filtered and paged", filter: models.AuditFilter{Object: "sales"}, page: models.NewPage(2, 4), want: []string{e6, e5}, wantTotal: 6},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				page := tc.page
				if page.Size == 0 {
					page = models.NewPage(1, 50)
				}
				total := tc.wantTotal
				if total == 0 {
					total = int64(len(tc.want))
				}
				evs, got, err := f.s.ListAudit(f.ctx, f.admin, tc.filter, page)
				if err != nil {
					t.Fatal(err)
				}
				var labels []string
				for _, ev := range evs {
					labels = append(labels, ev.Action+" "+ev.ObjectID)
				}
				if strings.Join(labels, "\n") != strings.Join(tc.want, "\n") {
					t.Errorf("ListAudit =\n  %s\nwant\n  %s", strings.Join(labels, "\n  "), strings.Join(tc.want, "\n  "))
				}
				if got.Total != total || got.Number != page.Number {
					t.Errorf("page %d with %d in all, want page %d with %d", got.Number, got.Total, page.Number, total)
				}
			})
		}

		actions, err := f.s.AuditActions(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := "domain.create domain.update member.add team.create team.update token.create user.admin.grant user.create"
		if strings.Join(actions, " ") != want {
			t.Errorf("AuditActions = %v, want %s", actions, want)
		}
	})
}

func TestListAuditNeedsAnAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		goneAdmin := f.person(t, "gone@example.com", "Gone Admin")
		if _, err := f.s.SetAdmin(f.ctx, f.admin, goneAdmin.ID, true); err != nil {
			t.Fatal(err)
		}
		goneAdmin, err := f.s.SetActive(f.ctx, f.admin, goneAdmin.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			actor *models.User
			want  error
		}{
			{"admin", f.admin, nil},
			{"team owner", f.owner, models.ErrForbidden},
			{"signed in", f.outsider, models.ErrForbidden},
			{"deactivated admin", goneAdmin, models.ErrUnauthenticated},
			{"nobody", nil, models.ErrUnauthenticated},
		} {
			t.Run(tc.name, func(t *testing.T) {
				evs, _, err := f.s.ListAudit(f.ctx, tc.actor, models.AuditFilter{}, models.NewPage(1, 50))
				checkErr(t, err, tc.want, "")
				if tc.want != nil && len(evs) != 0 {
					t.Errorf("refused caller still got %d events", len(evs))
				}
				if tc.want == nil && len(evs) == 0 {
					t.Errorf("admin got no events")
				}
			})
		}
	})
}

func TestAuditEventChanges(t *testing.T) {
	cases := []struct {
		name          string
		before, after string
		want          []models.Change
	}{
		{"update", `{"name":"Sales","slug":"sales","archived":false}`, `{"name":"Sales & Returns","slug":"sales","archived":true}`,
			[]models.Change{{Field: "archived", Before: "no", After: "yes"}, {Field: "name", Before: "Sales", After: "Sales & Returns"}}},
		{"create", ``, `{"name":"Finance","slug":"finance"}`,
			[]models.Change{{Field: "name", After: "Finance"}, {Field: "slug", After: "finance"}}},
		{"delete", `{"role":"owner"}`, ``, []models.Change{{Field: "role", Before: "owner"}}},
		{"nothing changed", `{"a":1}`, `{"a":1}`, nil},
		{"not json", `nope`, `{"a":"x"}`, []models.Change{{Field: "a", After: "x"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := models.AuditEvent{Before: tc.before, After: tc.after}
			got := ev.Changes()
			if len(got) != len(tc.want) {
				t.Fatalf("Changes() = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("change %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// LIKE wildcards typed into a filter match themselves, not everything.
func TestListAuditFiltersAreLiteral(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := models.NewStore(db)
		ctx := context.Background()
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		admin, err := s.UserByEmail(ctx, "alex.morgan@northwind.example")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []models.AuditFilter{{Object: "%"}, {Object: "_"}, {Actor: "%"}, {Actor: "a_ex"}} {
			evs, page, err := s.ListAudit(ctx, admin, f, models.NewPage(1, 10))
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 0 || len(evs) != 0 {
				t.Errorf("filter %+v matched %d events; a wildcard must match only itself", f, page.Total)
			}
		}
	})
}
