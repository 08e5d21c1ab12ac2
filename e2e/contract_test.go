package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

const giftCardsContract = `apiVersion: v3.1.0
kind: DataContract
id: 0b7c5c1e-gift-cards
version: 1.1.0
status: active
name: Gift cards
domain: sales
dataProduct: gift-cards
team:
  name: order-management
description:
  purpose: Every gift card sold and redeemed, one row per card.
tags: [giftcards, payments]
schema:
  - name: cards
    physicalType: parquet
    description: One row per gift card.
    properties:
      - name: card_id
        logicalType: string
        required: true
        primaryKey: true
      - name: issued_at
        logicalType: timestamp
        required: true
      - name: balance_eur
        logicalType: number
servers:
  - server: lake
    type: local
    path: /lake/sales/gift-cards
    format: parquet
`

// An owner pastes an ODCS contract: a mistake is reported with its line,
// then the corrected contract creates the product with its schema.
func TestOwnerImportsAContract(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, s, "sofia.rossi@northwind.example")

	broken := strings.Replace(giftCardsContract, "logicalType: timestamp", "logicalType: [oops", 1)
	run(t, ctx,
		chromedp.Navigate(s.URL+"/"),
		chromedp.Click(sel("import-contract")),
		chromedp.WaitVisible(sel("import-form")),
		chromedp.SetValue(sel("contract-text"), broken),
		chromedp.Click(sel("import")),
		chromedp.WaitVisible(sel("contract-errors")),
	)
	if msg := text(t, ctx, "contract-errors"); !strings.Contains(msg, "line ") {
		t.Fatalf("the error does not name a line: %q", msg)
	}
	if kept := get(t, ctx, chromedp.Value(sel("contract-text"))); kept != broken {
		t.Fatal("the pasted contract was not kept after the error")
	}

	run(t, ctx,
		chromedp.SetValue(sel("contract-text"), giftCardsContract),
		chromedp.Click(sel("import")),
		chromedp.WaitVisible(sel("urn")),
	)
	if got := text(t, ctx, "urn"); got != "urn:plaza:sales:gift-cards" {
		t.Fatalf("URN = %q", got)
	}
	schema := text(t, ctx, "schema-cards")
	for _, col := range []string{"card_id", "issued_at", "balance_eur"} {
		if !strings.Contains(schema, col) {
			t.Errorf("schema lacks %s:\n%s", col, schema)
		}
	}
	if got := text(t, ctx, "status"); got != "draft" {
		t.Errorf("imported product status %q, want draft", got)
	}
}
