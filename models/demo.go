package models

import (
	"context"
	"fmt"
)

// Persona is a demo user shown on the demo sign-in page.
type Persona struct {
	Email   string
	Name    string
	Title   string // one line: who they are and what to try as them
	IsAdmin bool
}

// DemoCompany is the name of the seeded demo company.
const DemoCompany = "Northwind Outfitters"

// DemoPersonas are the people of the demo company, in sign-in page order.
var DemoPersonas = []Persona{
	{"alex.morgan@northwind.example", "Alex Morgan", "Platform admin: manages domains, teams, people and policy", true},
	{"sofia.rossi@northwind.example", "Sofia Rossi", "Product owner, Sales: owns the Order Management team's products", false},
	{"daniel.kim@northwind.example", "Daniel Kim", "Product owner, Customer: owns Customer 360", false},
	{"priya.natarajan@northwind.example", "Priya Natarajan", "Product owner, Supply Chain: owns Inventory", false},
	{"tom.becker@northwind.example", "Tom Becker", "Product owner, Finance: owns Financial Reporting", false},
	{"marco.silva@northwind.example", "Marco Silva", "Product owner, Marketing: owns Web Analytics", false},
	{"hannah.weber@northwind.example", "Hannah Weber", "Data engineer in Sales Analytics: builds pipelines", false},
	{"maya.johnson@northwind.example", "Maya Johnson", "Business analyst, Marketing Campaigns: finds and queries data", false},
	{"leo.martins@northwind.example", "Leo Martins", "Business analyst in Merchandising: no team, requests access", false},
	{"grace.okafor@northwind.example", "Grace Okafor", "Governance steward: second approver for restricted data", false},
}

type demoTeam struct {
	slug, name, description string
	owners, members         []string // emails
}

type demoDomain struct {
	slug, name, description, contact string
	teams                            []demoTeam
}

var demoDomains = []demoDomain{
	{"sales", "Sales", "Orders, returns and revenue from the 140 stores and the web shop.", "data-sales@northwind.example", []demoTeam{
		{"order-management", "Order Management", "Owns the order lifecycle from checkout to delivery and returns.",
			[]string{"sofia.rossi@northwind.example"}, nil},
		{"sales-analytics", "Sales Analytics", "Daily and weekly revenue, margin and basket analysis for the sales leadership.",
			[]string{"sofia.rossi@northwind.example"}, []string{"hannah.weber@northwind.example"}},
	}},
	{"customer", "Customer", "Who our customers are: profiles, consent, segments and loyalty.", "data-customer@northwind.example", []demoTeam{
		{"customer-360", "Customer 360", "One profile per customer across stores, web and the loyalty app.",
			[]string{"daniel.kim@northwind.example"}, nil},
		{"loyalty", "Loyalty", "The Northwind Rewards programme: points, tiers and redemptions.",
			[]string{"daniel.kim@northwind.example"}, nil},
	}},
	{"marketing", "Marketing", "Campaigns, web traffic and attribution.", "data-marketing@northwind.example", []demoTeam{
		{"campaigns", "Campaigns", "Email, social and in-store campaign planning and results.",
			[]string{"marco.silva@northwind.example"}, []string{"maya.johnson@northwind.example"}},
		{"web-analytics", "Web Analytics", "Sessions, funnels and conversion on the web shop.",
			[]string{"marco.silva@northwind.example"}, nil},
	}},
	{"supply-chain", "Supply Chain", "Stock, suppliers, warehouses and deliveries to stores.", "data-supply@northwind.example", []demoTeam{
		{"inventory", "Inventory", "Stock on hand and in transit for every store and warehouse.",
			[]string{"priya.natarajan@northwind.example"}, nil},
		{"logistics", "Logistics", "Shipments, carriers and delivery performance.",
			[]string{"priya.natarajan@northwind.example"}, nil},
	}},
	{"finance", "Finance", "The general ledger, budgets and the monthly close.", "data-finance@northwind.example", []demoTeam{
		{"financial-reporting", "Financial Reporting", "Monthly P&L, balance sheet and board reporting.",
			[]string{"tom.becker@northwind.example"}, nil},
		{"controlling", "Controlling", "Budgets, forecasts and cost-centre analysis.",
			[]string{"tom.becker@northwind.example"}, nil},
	}},
}

// SeedDemo creates the demo company: its people, domains, teams and
// memberships. It is idempotent: what exists is left as it is, so a second
// run (or a restart of serve --demo) changes nothing.
func (s *Store) SeedDemo(ctx context.Context) error {
	users := map[string]*User{}
	for _, p := range DemoPersonas {
		u, err := s.UserByEmail(ctx, p.Email)
		if isNotFound(err) {
			u = &User{Email: p.Email, Name: p.Name, Title: p.Title, IsAdmin: p.IsAdmin}
			err = s.DB.WithContext(ctx).Create(u).Error
		}
		if err != nil {
			return fmt.Errorf("seed person %s: %w", p.Email, err)
		}
		users[p.Email] = u
	}
	admin := users[DemoPersonas[0].Email]
	if !admin.IsAdmin {
		return fmt.Errorf("seed: %s is expected to be an admin", admin.Email)
	}
	for _, dd := range demoDomains {
		if _, err := s.DomainBySlug(ctx, dd.slug); isNotFound(err) {
			_, err = s.CreateDomain(ctx, admin, DomainInput{Slug: dd.slug, Name: dd.name, Description: dd.description, ContactEmail: dd.contact})
			if err != nil {
				return fmt.Errorf("seed domain %s: %w", dd.slug, err)
			}
		} else if err != nil {
			return err
		}
		for _, dt := range dd.teams {
			t, err := s.TeamBySlug(ctx, dd.slug, dt.slug)
			if isNotFound(err) {
				t, err = s.CreateTeam(ctx, admin, dd.slug, TeamInput{Slug: dt.slug, Name: dt.name, Description: dt.description})
				if err != nil {
					return fmt.Errorf("seed team %s/%s: %w", dd.slug, dt.slug, err)
				}
				for _, e := range dt.owners {
					if _, err := s.AddMember(ctx, admin, t, e, RoleOwner); err != nil {
						return fmt.Errorf("seed owner %s: %w", e, err)
					}
				}
				for _, e := range dt.members {
					if _, err := s.AddMember(ctx, admin, t, e, RoleMember); err != nil {
						return fmt.Errorf("seed member %s: %w", e, err)
					}
				}
			} else if err != nil {
				return err
			}
		}
	}
	if err := s.seedCatalog(ctx, admin); err != nil {
		return err
	}
	if err := s.seedDemoAccess(ctx, admin); err != nil {
		return err
	}
	if err := s.SeedDemoPipelines(ctx); err != nil {
		return err
	}
	return s.seedDemoHistory(ctx)
}

// IsDemoPersona reports whether email belongs to a demo persona.
func IsDemoPersona(email string) bool {
	for _, p := range DemoPersonas {
		if p.Email == NormalizeEmail(email) {
			return true
		}
	}
	return false
}
