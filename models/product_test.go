package models_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// seeded returns a store with the demo company and its admin and Sales owner.
func seeded(t *testing.T, db *gorm.DB) (*models.Store, *models.User, *models.User) {
	t.Helper()
	s := models.NewStore(db)
	ctx := context.Background()
	if err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := s.UserByEmail(ctx, "alex.morgan@northwind.example")
	if err != nil {
		t.Fatal(err)
	}
	owner, err := s.UserByEmail(ctx, "sofia.rossi@northwind.example")
	if err != nil {
		t.Fatal(err)
	}
	return s, admin, owner
}

func ordersInput() models.ProductInput {
	return models.ProductInput{
		Slug: "checkout-orders", Name: "Checkout orders", Team: "order-management", Summary: "Every order.",
		Classification: models.ClassInternal, Tags: []string{"Orders", "core", "orders"},
		OutputPorts: []models.PortInput{{Name: "Daily orders", Format: "parquet", Columns: []models.ColumnInput{
			{Name: "order_id", Type: "string", PrimaryKey: true},
			{Name: "amount", Type: "decimal"},
			{},
		}}},
	}
}

func TestProductCreateUpdateRename(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		p, err := s.CreateProduct(ctx, owner, "sales", ordersInput())
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != models.StatusDraft || p.Version != "1.0.0" || p.URN() != "urn:plaza:sales:checkout-orders" {
			t.Fatalf("created %+v", p)
		}
		if got := p.TagNames(); len(got) != 2 || got[0] != "core" || got[1] != "orders" {
			t.Errorf("tags = %v, want [core orders]", got)
		}
		if len(p.OutputPorts) != 1 || p.OutputPorts[0].Slug != "daily-orders" || len(p.OutputPorts[0].Columns) != 2 {
			t.Fatalf("ports = %+v", p.OutputPorts)
		}
		in := ordersInput()
		in.Slug, in.Name = "customer-checkout-orders", "Customer checkout orders"
		in.OutputPorts[0].Columns = append(in.OutputPorts[0].Columns, models.ColumnInput{Name: "placed_at", Type: "timestamp"})
		p, err = s.UpdateProduct(ctx, owner, p, in)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(p.OutputPorts[0].Columns); n != 3 {
			t.Errorf("after update %d columns, want 3", n)
		}
		_, err = s.ProductBySlug(ctx, "sales", "checkout-orders")
		var moved *models.ErrMoved
		if !errors.As(err, &moved) || moved.To != "/products/sales/customer-checkout-orders" {
			t.Fatalf("old slug: %v, want moved to the new one", err)
		}
		var cols int64
		db.Model(&models.Column{}).Where("port_id = ?", p.OutputPorts[0].ID).Count(&cols)
		if cols != 3 {
			t.Errorf("%d column rows for the port, want 3 (old ones replaced)", cols)
		}
	})
}

func TestProductValidationWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		in := ordersInput()
		in.Classification = "secret"
		in.OutputPorts[0].Columns[1].Name = "bad name"
		var before int64
		db.Model(&models.Product{}).Count(&before)
		_, err := s.CreateProduct(ctx, owner, "sales", in)
		var v *models.ValidationError
		if !errors.As(err, &v) || v.Fields["classification"] == "" || v.Fields["output_ports[0].columns[1].name"] == "" {
			t.Fatalf("err = %v, want field errors on classification and the column name", err)
		}
		var n int64
		db.Model(&models.Product{}).Count(&n)
		if n != before {
			t.Errorf("%d products written after a failed create", n-before)
		}
	})
}

func TestProductLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		p, err := s.CreateProduct(ctx, owner, "sales", ordersInput())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetProductStatus(ctx, owner, p, models.StatusDeprecated, ""); err == nil {
			t.Fatal("a draft was deprecated")
		}
		if p, err = s.SetProductStatus(ctx, owner, p, models.StatusPublished, ""); err != nil || p.PublishedAt == nil {
			t.Fatalf("publish: %v", err)
		}
		other := ordersInput()
		other.Slug = "checkout-orders-v2"
		if _, err := s.CreateProduct(ctx, owner, "sales", other); err != nil {
			t.Fatal(err)
		}
		if p, err = s.SetProductStatus(ctx, owner, p, models.StatusDeprecated, "sales/checkout-orders-v2"); err != nil {
			t.Fatal(err)
		}
		r, err := s.Replacement(ctx, p)
		if err != nil || r == nil || r.Slug != "checkout-orders-v2" {
			t.Fatalf("replacement = %v, %v", r, err)
		}
		member, _ := s.UserByEmail(ctx, "hannah.weber@northwind.example")
		if _, err := s.SetProductStatus(ctx, member, p, models.StatusRetired, ""); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("a member retired a product: %v", err)
		}
	})
}
