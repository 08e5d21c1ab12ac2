package models_test

import (
	"testing"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// TestLineageFollowsPipelines: a product's lineage shows what its
// pipelines read, and the upstream shows who builds on it, even when
// nobody declared the input on the product.
func TestLineageFollowsPipelines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		up := f.products[models.ClassPublic]
		down := f.products[models.ClassInternal]
		if _, err := f.s.SavePipeline(f.ctx, f.owner, down, models.PipelineSpec{Port: "daily", SQL: "SELECT order_id FROM src",
			Inputs: []models.PipelineInputSpec{{Name: "src", Upstream: "sales/public-orders/daily"}}}); err != nil {
			t.Fatal(err)
		}
		ups, _, err := f.s.Lineage(f.ctx, down)
		if err != nil || len(ups) != 1 || ups[0].ProductSlug != "public-orders" || ups[0].Port != "daily" {
			t.Fatalf("upstreams of the pipeline's product: %+v, %v", ups, err)
		}
		_, downs, err := f.s.Lineage(f.ctx, up)
		if err != nil || len(downs) != 1 || downs[0].ProductSlug != "internal-orders" {
			t.Fatalf("downstreams of the upstream: %+v, %v", downs, err)
		}
	})
}
