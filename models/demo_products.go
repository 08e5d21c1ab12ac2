package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// The demo company's catalog: the business glossary and the data products of
// Northwind Outfitters, seeded by SeedDemo so the portal looks alive on first
// start. Everything here is plain data; seedCatalog writes it through the
// same Store methods people use, as the platform admin, so the audit log
// tells the story of how the catalog came to be.

// demoTerm is one business term of the demo glossary.
type demoTerm struct {
	domain, slug, name string
	synonyms           string // comma-separated
	definition         string
}

var demoTerms = []demoTerm{
	{"customer", "customer", "Customer", "client, shopper, member, account holder",
		"A person who has bought from Northwind in a store or online, or who has joined Northwind Rewards, identified by one " +
			"customer_id (C followed by 9 digits) across stores, web and app. Guest checkouts and anonymous card payments are not " +
			"customers until they are matched to a profile. Business (B2B) accounts are out of scope."},
	{"customer", "loyalty-tier", "Loyalty Tier", "rewards tier, membership level, status",
		"The Northwind Rewards level a member holds: Bronze on joining, Silver from 500 points earned in twelve months, Gold " +
			"from 1,500. Tiers are reassessed on the anniversary of enrolment and are never lowered mid-year."},
	{"customer", "consent", "Marketing Consent", "opt-in, permission, marketing preference",
		"A customer's recorded permission for one purpose (email marketing, SMS, profiling, sharing with partners), with when, " +
			"where and under which privacy-policy version it was given or withdrawn. The latest event per customer and purpose " +
			"wins; no record means no consent."},
	{"sales", "order", "Order", "transaction, purchase, basket, receipt, sale",
		"One checkout: everything paid for together, in a store (one receipt) or online (one order confirmation). An order is " +
			"placed when payment is authorised; cancellations and returns never delete it. order_id is unique across channels: " +
			"S- for stores, W- for the web shop, A- for the app, M- for marketplaces."},
	{"sales", "order-line", "Order Line", "line item, basket line, receipt line",
		"One SKU in an order, with the quantity, the price paid and the discount given. Lines are numbered from 1 within their " +
			"order, so a line is identified by order_id and line_number."},
	{"sales", "store", "Store", "shop, branch, outlet, location",
		"A physical Northwind shop, identified by a store_id like ST042: flagship, high-street and outlet formats and " +
			"concessions in department stores. Warehouses are not stores, and the web shop is a channel, not a store. Every " +
			"store is also a cost centre in finance (CC-ST042)."},
	{"sales", "channel", "Sales Channel", "channel, order channel",
		"Where an order was placed: store (a till in one of our shops), web (northwind.example), app (the iOS and Android apps) " +
			"or marketplace (partner marketplaces). Click-and-collect orders belong to the channel they were placed in, whatever " +
			"store they are collected from."},
	{"sales", "return", "Return", "refund, RMA, exchange",
		"Goods a customer brings or sends back for a refund or an exchange, recorded against the original order line. A return " +
			"counts on the day it is received, not on the day of the original sale."},
	{"supply-chain", "sku", "SKU", "product, article, item, stock keeping unit, variant",
		"A stock keeping unit: one sellable article in one colour and one size, identified by an 8-digit sku. SKUs of the same " +
			"design share a style_code. Plaza uses \"product\" for data products, so the glossary calls sellable articles SKUs."},
	{"supply-chain", "supplier", "Supplier", "vendor, manufacturer, factory",
		"A company Northwind buys finished goods from, identified by a supplier_id like V10452 in the ERP: manufacturers and " +
			"their agents. Carriers, agencies and other service vendors are not suppliers."},
	{"supply-chain", "warehouse", "Warehouse", "distribution centre, DC, fulfilment centre",
		"A distribution centre that receives goods from suppliers and ships them to stores and web customers: WH01 (Leeds) and " +
			"WH02 (Rotterdam). The stockrooms behind our shops are part of their store, not warehouses."},
	{"supply-chain", "shipment", "Shipment", "consignment, delivery, dispatch, parcel",
		"One consignment handed to a carrier under one tracking number: supplier to warehouse (inbound), warehouse to store " +
			"(replenishment) or warehouse to a customer (home delivery). One order may ship in several shipments."},
	{"finance", "revenue", "Revenue", "sales, turnover, takings, net sales",
		"Money from selling goods, in euros. Gross revenue is what customers paid, VAT included, before returns. Net revenue is " +
			"gross revenue less VAT, discounts and returns: the figure in the P&L, and the one meant whenever \"revenue\" is " +
			"used without qualification. Gift cards are revenue when redeemed, not when sold."},
	{"finance", "margin", "Gross Margin", "gross profit, GM, margin",
		"Net revenue less the cost of goods sold (the weighted average landed cost of the SKUs sold), in euros; margin % divides " +
			"it by net revenue. Store running costs are not deducted: that is contribution, reported separately."},
	{"finance", "fiscal-period", "Fiscal Period", "accounting period, fiscal month, period",
		"A month of Northwind's 4-4-5 retail calendar, named like FY25-P07. The fiscal year starts on the Sunday nearest to " +
			"1 February and each quarter has periods of 4, 4 and 5 weeks, so periods do not line up with calendar months."},
	{"finance", "cost-centre", "Cost Centre", "cost center, CC, budget unit",
		"A unit that costs are booked to in the general ledger: CC-4100 style codes for head-office departments and one " +
			"CC-ST042 style code per store. Each cost centre has one accountable manager and rolls up to one budget owner."},
	{"marketing", "campaign", "Campaign", "promotion, marketing campaign, initiative",
		"A planned marketing activity with one objective, budget and date range, run on one or more media (email, paid social, " +
			"search, display, in-store). Its campaign_id, like CMP-2025-014, is also the utm_campaign of its web links."},
	{"marketing", "session", "Web Session", "visit",
		"One visit to the web shop or the app: a visitor's activity until 30 minutes without a page view, or midnight UTC. A " +
			"session belongs to a campaign through its landing link, and to a customer only once they sign in."},
}

// demoProduct is one data product of the demo catalog. Products are written
// in table order, so upstreams come before the products that read them.
type demoProduct struct {
	domain      string
	status      string // where the product ends up; every product starts as a draft
	replacement string // deprecated and retired products: the "domain/product" suggested when deprecating
	in          ProductInput
}

// demoColumn builds a column readably:
// col("email", "string", "Primary email address.").nullable().pii()
type demoColumn ColumnInput

func col(name, typ, description string) demoColumn {
	return demoColumn{Name: name, Type: typ, Description: description}
}

func (c demoColumn) key() demoColumn            { c.PrimaryKey = true; return c }
func (c demoColumn) nullable() demoColumn       { c.Nullable = true; return c }
func (c demoColumn) pii() demoColumn            { c.PII = true; return c }
func (c demoColumn) term(ref string) demoColumn { c.Term = ref; return c }

func demoPort(slug, name, format, description string, cols ...demoColumn) PortInput {
	p := PortInput{Slug: slug, Name: name, Format: format, Description: description}
	for _, c := range cols {
		p.Columns = append(p.Columns, ColumnInput(c))
	}
	return p
}

func readsFrom(upstream, description string) InputPortInput {
	return InputPortInput{Upstream: upstream, Description: description}
}

func landsIn(glob, description string) InputPortInput {
	return InputPortInput{Landing: glob, Description: description}
}

// Support channels and terms of use shared by several products.
const (
	supportSales    = "#data-sales on Slack"
	supportCustomer = "#data-customer on Slack"
	supportMarket   = "#data-marketing on Slack"
	supportSupply   = "#data-supply-chain on Slack"
	supportFinance  = "data-finance@northwind.example"

	touPersonal = "Contains personal data of Northwind customers, processed under the Northwind privacy notice.\n\n" +
		"- Use it only for the purpose stated in your approved access request; a new purpose needs a new request.\n" +
		"- Do not copy personal columns out of the platform, join them to third-party data, or keep extracts for longer than 30 days.\n" +
		"- Honour consent: filter on customer/customer-consent before any marketing use.\n" +
		"- Report any suspected breach to privacy@northwind.example within 24 hours."
	touCustomerInsight = "Derived from customer behaviour. Use it for Northwind's own analysis and targeting only; do not share it " +
		"outside Northwind, and filter on customer/customer-consent before contacting anyone."
	touCommercial = "Commercially sensitive (supplier terms and cost prices). Share aggregates only inside Northwind; never send " +
		"rows to suppliers, agencies or other third parties."
	touFinancial = "Unpublished financial results: inside information until the quarterly trading update. Do not share figures " +
		"outside your team before the results are published, and do not trade Northwind shares while you hold them."
)

// Conformed keys: the same column, linked to the same term, wherever it appears.
var (
	orderKey   = col("order_id", "string", "The order, as on the receipt or order confirmation.").term("sales/order")
	skuKey     = col("sku", "string", "The 8-digit SKU sold, counted or moved.").term("supply-chain/sku")
	storeKey   = col("store_id", "string", "The store, like ST042.").term("sales/store")
	channelKey = col("channel", "string", "Where the order was placed: store, web, app or marketplace.").term("sales/channel")
	periodKey  = col("fiscal_period", "string", "The 4-4-5 fiscal period, like FY25-P07.").term("finance/fiscal-period")
)

var demoProducts = []demoProduct{
	// Finance reference data first: sales and marketing products join on it.
	{"finance", StatusPublished, "", ProductInput{
		Slug: "fiscal-calendar", Name: "Fiscal Calendar", Team: "financial-reporting", Version: "1.0.3",
		Summary:        "Every calendar date mapped to Northwind's 4-4-5 fiscal week, period, quarter and year.",
		Classification: ClassPublic, Tags: []string{"reference", "calendar", "finance"},
		Description: "The one calendar every report should use: one row per date from FY2015 to FY2030.\n\n" +
			"Loaded from the ERP's period table when Finance opens a new year, and updated when a period is closed.\n" +
			"Use `fiscal_period` to group daily figures the way the P&L does; calendar months do not match periods.",
		FreshnessHours: 168, Availability: "99.9%", SupportChannel: supportFinance, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("daily", "One row per date", "parquet", "Dates from 2015-02-01 to 2031-01-31.",
			col("calendar_date", "date", "The calendar date.").key(),
			col("fiscal_year", "string", "Fiscal year, like FY25 (starts on the Sunday nearest 1 February)."),
			col("fiscal_quarter", "string", "Fiscal quarter, like FY25-Q3."),
			periodKey,
			col("fiscal_week", "integer", "Week of the fiscal year, 1 to 53."),
			col("period_start_date", "date", "First day of the fiscal period."),
			col("period_end_date", "date", "Last day of the fiscal period."),
			col("is_period_closed", "boolean", "True once Finance has closed the period; its figures will not change."),
			col("is_trading_day", "boolean", "False on days all stores are closed (25 December, Easter Sunday)."),
			col("holiday_name", "string", "Public holiday in the UK or the Netherlands, if any.").nullable(),
		)},
		InputPorts: []InputPortInput{landsIn("erp/calendar/*.csv", "The ERP's fiscal period table, exported when it changes.")},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "calendar_date", Kind: "unique", Description: "One row per date.", Blocking: true},
			{Port: "daily", Kind: "row_count", Description: "Sixteen fiscal years of dates.", Spec: `{"min":5800}`, Blocking: true},
		},
	}},
	{"finance", StatusPublished, "", ProductInput{
		Slug: "cost-centres", Name: "Cost Centres", Team: "controlling", Version: "1.1.0",
		Summary:        "The cost-centre hierarchy: head-office departments and one cost centre per store, with their managers.",
		Classification: ClassInternal, Tags: []string{"reference", "controlling", "finance"},
		Description: "Every cost centre that can be booked to in the general ledger, with its parent in the reporting hierarchy.\n\n" +
			"- One row per cost centre and validity interval: a change of manager or parent closes the old row.\n" +
			"- Store cost centres carry their `store_id`, so store costs join to store sales.\n\n" +
			"Maintained by Controlling in the ERP; changes are exported nightly and usually only happen at period end.",
		FreshnessHours: 168, Availability: "99.5%", SupportChannel: supportFinance, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("current", "Cost centres", "parquet", "All cost centres, current and closed.",
			col("cost_centre_code", "string", "The cost centre, like CC-4100 or CC-ST042.").key().term("finance/cost-centre"),
			col("valid_from", "date", "First day this row applies.").key(),
			col("valid_to", "date", "Last day this row applies; empty while current.").nullable(),
			col("cost_centre_name", "string", "Name, like \"Marketing - Digital\" or \"Store ST042 Manchester Arndale\"."),
			col("parent_code", "string", "The cost centre this one rolls up to; empty at the top.").nullable(),
			col("level", "integer", "Depth in the hierarchy, 1 at the top."),
			col("cost_centre_type", "string", "store, head_office or distribution."),
			storeKey.nullable(),
			col("manager_name", "string", "The accountable manager.").pii(),
			col("is_active", "boolean", "False once the cost centre is closed for new bookings."),
		)},
		InputPorts: []InputPortInput{landsIn("erp/cost-centres/*.csv", "Nightly export of the ERP cost-centre master.")},
		Quality: []QualityRuleInput{
			{Port: "current", Column: "cost_centre_code", Kind: "not_null", Blocking: true},
			{Port: "current", Column: "cost_centre_type", Kind: "accepted_values", Spec: `{"values":["store","head_office","distribution"]}`},
		},
	}},
	{"finance", StatusPublished, "", ProductInput{
		Slug: "general-ledger", Name: "General Ledger", Team: "financial-reporting", Version: "2.0.1",
		Summary:        "Every posted journal line of the general ledger, in euros, by account, cost centre and fiscal period.",
		Classification: ClassConfidential, TermsOfUse: touFinancial, Tags: []string{"ledger", "finance", "close"},
		Description: "The books: one row per posted journal line from the ERP, converted to euros at the period's closing rate.\n\n" +
			"Loaded nightly; during the close (the first five working days of a period) it is reloaded every six hours.\n" +
			"Figures for an open period still move: check `is_period_closed` in finance/fiscal-calendar before quoting them.\n\n" +
			"Known limitation: intercompany eliminations are posted as one manual journal at period end.",
		FreshnessHours: 24, Availability: "99.5%", SupportChannel: supportFinance, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("daily", "Journal lines", "parquet", "Partitioned by posting_date.",
			col("journal_id", "string", "The journal, like JE-2025-004211.").key(),
			col("line_number", "integer", "Line within the journal, from 1.").key(),
			col("posting_date", "date", "Date the line was posted."),
			periodKey,
			col("account_code", "string", "Chart-of-accounts code, like 4000 (sales) or 5000 (cost of sales)."),
			col("account_name", "string", "Name of the account."),
			col("cost_centre_code", "string", "Cost centre booked to.").term("finance/cost-centre"),
			storeKey.nullable(),
			col("debit_amount", "decimal", "Debit in euros; 0 for credit lines."),
			col("credit_amount", "decimal", "Credit in euros; 0 for debit lines."),
			col("original_currency", "string", "ISO 4217 currency of the source document."),
			col("source_system", "string", "pos, webshop, erp_ap, erp_ar, payroll or manual."),
			col("line_description", "string", "Free text from the journal line.").nullable(),
			col("is_closing_entry", "boolean", "True for period-end adjustments and accruals."),
		)},
		InputPorts: []InputPortInput{
			landsIn("erp/gl/*.csv", "Nightly extract of posted journal lines."),
			readsFrom("finance/fiscal-calendar/daily", "Maps posting dates to fiscal periods."),
			readsFrom("finance/cost-centres/current", "Checks every line books to a known cost centre."),
		},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "journal_id", Kind: "not_null", Blocking: true},
			{Port: "daily", Kind: "sql", Description: "Debits equal credits for every journal.",
				Spec: `{"query":"SELECT journal_id FROM daily GROUP BY journal_id HAVING SUM(debit_amount) <> SUM(credit_amount)","expect":"no rows"}`, Blocking: true},
			{Port: "daily", Kind: "freshness", Spec: `{"column":"posting_date","max_hours":48}`},
		},
	}},

	// Supply chain: the SKU master first, everything else joins on it.
	{"supply-chain", StatusPublished, "", ProductInput{
		Slug: "product-catalogue", Name: "Product Catalogue", Team: "inventory", Version: "2.2.0",
		Summary:        "Every SKU Northwind sells or has sold: style, brand, category, colour, size and list price.",
		Classification: ClassPublic, Tags: []string{"reference", "sku", "merchandising"},
		Description: "The SKU master: one row per SKU, current and discontinued, as published to the web shop and the tills.\n\n" +
			"Built nightly from the merchandising system (PLM) and the price book. List prices are the regular price in euros; " +
			"promotions and markdowns are not applied here, see the order lines for prices actually paid.\n\n" +
			"Cost prices are deliberately left out: they live in supply-chain/purchase-orders.",
		FreshnessHours: 24, Availability: "99.9%", SupportChannel: supportSupply, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("current", "SKUs", "parquet", "One row per SKU.",
			col("sku", "string", "The 8-digit SKU.").key().term("supply-chain/sku"),
			col("style_code", "string", "The design shared by all colours and sizes, like NW-JK-2041."),
			col("sku_name", "string", "Name as shown on the web shop."),
			col("brand", "string", "Northwind, Northwind Trail or a third-party brand."),
			col("department", "string", "Womenswear, menswear, kids, footwear or outdoor gear."),
			col("category", "string", "Category, like jackets or hiking boots."),
			col("subcategory", "string", "Subcategory, like waterproof jackets.").nullable(),
			col("colour", "string", "Colour name."),
			col("size", "string", "Size label, like M, 42 or 10-11Y.").nullable(),
			col("list_price", "decimal", "Regular price in euros, VAT included."),
			col("season_code", "string", "Season the SKU launched in, like AW25."),
			col("launch_date", "date", "First day on sale."),
			col("is_active", "boolean", "False once the SKU is discontinued and sold out."),
		)},
		InputPorts: []InputPortInput{
			landsIn("plm/items-*.json", "Nightly item export from the merchandising system."),
			landsIn("pricing/pricebook-*.csv", "The regular price book."),
		},
		Quality: []QualityRuleInput{
			{Port: "current", Column: "sku", Kind: "unique", Blocking: true},
			{Port: "current", Kind: "row_count", Description: "The range has about 40,000 SKUs.", Spec: `{"min":30000}`},
			{Port: "current", Column: "list_price", Kind: "range", Spec: `{"min":0}`},
		},
	}},
	{"supply-chain", StatusPublished, "", ProductInput{
		Slug: "suppliers", Name: "Suppliers", Team: "inventory", Version: "1.2.0",
		Summary:        "The manufacturers and agents Northwind buys from, with terms, lead times and ethical audit status.",
		Classification: ClassConfidential, TermsOfUse: touCommercial, Tags: []string{"reference", "suppliers", "sourcing"},
		Description: "One row per supplier in the ERP's vendor master that has supplied finished goods in the last three years.\n\n" +
			"Payment terms and lead times are the contracted ones; actual lead times are in supply-chain/purchase-orders. " +
			"Ethical audit results come from the sourcing team's audit tracker, loaded weekly.",
		FreshnessHours: 168, Availability: "99.5%", SupportChannel: supportSupply, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("current", "Suppliers", "parquet", "One row per supplier.",
			col("supplier_id", "string", "The supplier, like V10452.").key().term("supply-chain/supplier"),
			col("supplier_name", "string", "Registered company name."),
			col("country_code", "string", "ISO 3166 country of the main factory."),
			col("category_focus", "string", "Main categories supplied, like outerwear or footwear."),
			col("payment_terms_days", "integer", "Contracted payment terms in days."),
			col("incoterm", "string", "Default Incoterm, like FOB or DDP."),
			col("lead_time_days", "integer", "Contracted lead time from order to warehouse."),
			col("is_preferred", "boolean", "On the preferred-supplier list for the current season."),
			col("ethical_audit_status", "string", "passed, passed_with_actions, failed or not_audited."),
			col("ethical_audit_date", "date", "Date of the last audit.").nullable(),
			col("contact_name", "string", "Account manager at the supplier.").pii(),
			col("contact_email", "string", "Their email address.").pii(),
			col("contact_phone", "string", "Their phone number.").nullable().pii(),
		)},
		InputPorts: []InputPortInput{
			landsIn("erp/vendors/*.csv", "Nightly vendor master export."),
			landsIn("sourcing/audits-*.xlsx", "The sourcing team's weekly audit tracker."),
		},
		Quality: []QualityRuleInput{
			{Port: "current", Column: "supplier_id", Kind: "unique", Blocking: true},
			{Port: "current", Column: "ethical_audit_status", Kind: "accepted_values",
				Spec: `{"values":["passed","passed_with_actions","failed","not_audited"]}`},
		},
	}},
	{"supply-chain", StatusPublished, "", ProductInput{
		Slug: "purchase-orders", Name: "Purchase Orders", Team: "inventory", Version: "1.4.2",
		Summary:        "Purchase orders to suppliers and their lines: what was ordered, at what cost, and what has arrived.",
		Classification: ClassInternal, Tags: []string{"purchasing", "suppliers", "cost"},
		Description: "Purchase orders raised in the ERP, from approval to the last receipt at the warehouse.\n\n" +
			"- `headers`: one row per purchase order.\n" +
			"- `lines`: one row per SKU ordered, with cost and quantities received so far.\n\n" +
			"Refreshed every six hours. Unit costs are landed costs in euros (freight and duty included), the basis of margin.",
		FreshnessHours: 6, Availability: "99.5%", SupportChannel: supportSupply, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{
			demoPort("headers", "Purchase orders", "parquet", "One row per purchase order.",
				col("po_number", "string", "The purchase order, like PO-2025-18830.").key(),
				col("supplier_id", "string", "Who it was ordered from.").term("supply-chain/supplier"),
				col("destination_warehouse_id", "string", "Where the goods are delivered.").term("supply-chain/warehouse"),
				col("ordered_on", "date", "Date the order was approved."),
				col("expected_on", "date", "Date the supplier confirmed for delivery."),
				col("po_status", "string", "open, partially_received, received or cancelled."),
				col("total_landed_cost", "decimal", "Total cost in euros."),
				col("incoterm", "string", "Incoterm of this order."),
			),
			demoPort("lines", "Purchase order lines", "parquet", "One row per SKU ordered.",
				col("po_number", "string", "The purchase order.").key(),
				col("line_number", "integer", "Line within the order.").key(),
				skuKey,
				col("ordered_units", "integer", "Units ordered."),
				col("received_units", "integer", "Units received so far."),
				col("unit_landed_cost", "decimal", "Cost per unit in euros, freight and duty included."),
				col("last_received_on", "date", "Date of the latest receipt.").nullable(),
			),
		},
		InputPorts: []InputPortInput{
			landsIn("erp/purchase-orders/*.csv", "ERP purchase order extract, every six hours."),
			readsFrom("supply-chain/suppliers/current", "Supplier names and terms."),
		},
		Quality: []QualityRuleInput{
			{Port: "headers", Column: "po_number", Kind: "unique", Blocking: true},
			{Port: "lines", Column: "sku", Kind: "not_null", Blocking: true},
			{Port: "lines", Column: "received_units", Kind: "range", Spec: `{"min":0}`},
		},
	}},
	{"supply-chain", StatusPublished, "", ProductInput{
		Slug: "stock-movements", Name: "Stock Movements", Team: "inventory", Version: "1.7.0",
		Summary:        "Every movement of stock in or out of a store or warehouse: receipts, transfers, sales, returns and write-offs.",
		Classification: ClassInternal, Tags: []string{"inventory", "events", "stock"},
		Description: "An append-only event stream of stock changes from the warehouse management system and the tills.\n\n" +
			"Sales and returns are booked when the till or web order confirms them; transfers when the receiving location scans " +
			"them in. Summing movements per SKU and location gives the stock position in supply-chain/inventory-snapshots.\n\n" +
			"Known limitation: store stock counts arrive as adjustments the morning after the count.",
		FreshnessHours: 1, Availability: "99.9%", SupportChannel: supportSupply, ResponseTime: "2 business hours",
		OutputPorts: []PortInput{demoPort("events", "Movement events", "parquet", "Hourly files, partitioned by movement date.",
			col("movement_id", "string", "Unique id of the movement.").key(),
			col("movement_ts", "timestamp", "When the movement happened (UTC)."),
			skuKey,
			col("from_location_id", "string", "Store or warehouse the stock left; empty for receipts from suppliers.").nullable(),
			col("to_location_id", "string", "Store or warehouse the stock reached; empty for sales and write-offs.").nullable(),
			col("movement_type", "string", "receipt, transfer, sale, return, adjustment or write_off."),
			col("quantity", "integer", "Units moved, always positive."),
			col("unit_cost", "decimal", "Weighted average cost per unit in euros at the time."),
			col("reference_id", "string", "The purchase order, order or transfer that caused it.").nullable(),
			col("reason_code", "string", "Why, for adjustments and write-offs: damaged, theft, count_difference.").nullable(),
		)},
		InputPorts: []InputPortInput{
			landsIn("wms/movements/*.json", "Warehouse management system events."),
			landsIn("pos/stock/*.csv", "Till sales, returns and stock counts from the stores."),
		},
		Quality: []QualityRuleInput{
			{Port: "events", Column: "movement_id", Kind: "unique", Blocking: true},
			{Port: "events", Column: "movement_type", Kind: "accepted_values",
				Spec: `{"values":["receipt","transfer","sale","return","adjustment","write_off"]}`, Blocking: true},
			{Port: "events", Kind: "freshness", Spec: `{"column":"movement_ts","max_hours":2}`},
		},
	}},
	{"supply-chain", StatusDeprecated, "supply-chain/inventory-snapshots", ProductInput{
		Slug: "stock-levels", Name: "Stock Levels (legacy)", Team: "inventory", Version: "1.9.4",
		Summary:        "Nightly stock on hand per store and SKU, from the old warehouse system. Use inventory snapshots instead.",
		Classification: ClassInternal, Tags: []string{"inventory", "legacy"},
		Description: "The nightly CSV the old warehouse system wrote for the store replenishment reports.\n\n" +
			"It covers stores only (no warehouses, no stock in transit) and has no cost, so it cannot value stock. " +
			"**Deprecated:** use supply-chain/inventory-snapshots, which has the same grain plus warehouses, transit and value. " +
			"It will be retired at the end of FY25.",
		FreshnessHours: 24, Availability: "99.0%", SupportChannel: supportSupply, ResponseTime: "2 business days",
		OutputPorts: []PortInput{demoPort("daily", "Nightly stock file", "csv", "One file per night.",
			col("stock_date", "date", "The night the stock was counted.").key(),
			storeKey.key(),
			skuKey.key(),
			col("on_hand_units", "integer", "Units in the store, including the stockroom."),
			col("min_stock_units", "integer", "Replenishment trigger level."),
			col("is_out_of_stock", "boolean", "True when on hand is zero."),
		)},
		InputPorts: []InputPortInput{landsIn("legacy-wms/stock_*.csv", "Nightly export of the old warehouse system.")},
	}},
	{"supply-chain", StatusPublished, "", ProductInput{
		Slug: "inventory-snapshots", Name: "Inventory Snapshots", Team: "inventory", Version: "2.1.0",
		Summary:        "End-of-day stock per SKU in every store and warehouse: on hand, in transit, reserved and its value.",
		Classification: ClassInternal, Tags: []string{"inventory", "stock", "daily"},
		Description: "One row per day, location and SKU with stock, taken at 23:59 local time.\n\n" +
			"Built from supply-chain/stock-movements, reconciled each morning against the warehouse system's own count. " +
			"A location is either a store (`store_id` set) or a warehouse (`warehouse_id` set).\n\n" +
			"Rows with all quantities zero are left out, so a missing row means no stock.",
		FreshnessHours: 24, Availability: "99.5%", SupportChannel: supportSupply, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("daily", "Daily snapshot", "parquet", "Partitioned by snapshot_date.",
			col("snapshot_date", "date", "The day the snapshot closes.").key(),
			col("location_id", "string", "The store or warehouse, like ST042 or WH01.").key(),
			skuKey.key(),
			col("location_type", "string", "store or warehouse."),
			storeKey.nullable(),
			col("warehouse_id", "string", "The warehouse, when the location is one.").nullable().term("supply-chain/warehouse"),
			col("on_hand_units", "integer", "Units physically at the location."),
			col("in_transit_units", "integer", "Units shipped to the location and not yet received."),
			col("reserved_units", "integer", "Units held for web orders and click-and-collect."),
			col("available_units", "integer", "On hand less reserved."),
			col("unit_cost", "decimal", "Weighted average landed cost per unit in euros."),
			col("stock_value", "decimal", "On hand plus in transit, valued at unit cost, in euros."),
			col("days_of_cover", "decimal", "Available units divided by average daily sales of the last 28 days.").nullable(),
		)},
		InputPorts: []InputPortInput{
			readsFrom("supply-chain/stock-movements/events", "Movements summed per location and SKU."),
			readsFrom("supply-chain/purchase-orders/lines", "Landed costs for the weighted average cost."),
			landsIn("wms/counts/*.csv", "The warehouse system's nightly count, for reconciliation."),
		},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "sku", Kind: "not_null", Blocking: true},
			{Port: "daily", Column: "on_hand_units", Kind: "range", Spec: `{"min":0}`, Blocking: true},
			{Port: "daily", Kind: "row_count", Spec: `{"min":500000}`},
		},
	}},

	// Sales: the order stream first.
	{"sales", StatusPublished, "", ProductInput{
		Slug: "orders", Name: "Orders", Team: "order-management", Version: "2.3.0",
		Summary:        "Every order from the 140 stores, the web shop, the app and marketplaces, with totals and status.",
		Classification: ClassInternal, Tags: []string{"orders", "core", "events"},
		Description: "The order of record: one row per order placed, in every channel, since 2019.\n\n" +
			"Store orders arrive from the tills every 15 minutes; web and app orders from the order service in near real time. " +
			"Amounts are in euros, converted at the day's rate for orders in pounds.\n\n" +
			"- `daily`: the orders themselves, corrected when they are cancelled.\n" +
			"- `events`: every status change, for fulfilment and cancellation analysis.\n\n" +
			"Known limitation: marketplace orders arrive once a day and carry no customer.",
		FreshnessHours: 1, Availability: "99.9%", SupportChannel: supportSales, ResponseTime: "2 business hours",
		OutputPorts: []PortInput{
			demoPort("daily", "Orders", "parquet", "One row per order, partitioned by order_date.",
				orderKey.key(),
				col("customer_id", "string", "The customer; empty for guest checkouts and unmatched card payments.").nullable().term("customer/customer"),
				col("store_id", "string", "Store of the till, or of collection for click-and-collect; empty otherwise.").nullable().term("sales/store"),
				channelKey,
				col("order_ts", "timestamp", "When payment was authorised (UTC)."),
				col("order_date", "date", "Local date of the order, the partition key."),
				col("order_status", "string", "placed, fulfilled, partially_returned, returned or cancelled."),
				col("currency", "string", "Currency paid in: EUR or GBP."),
				col("gross_amount", "decimal", "Paid, in euros, VAT included.").term("finance/revenue"),
				col("discount_amount", "decimal", "Promotions and vouchers, in euros."),
				col("tax_amount", "decimal", "VAT, in euros."),
				col("net_amount", "decimal", "Gross less VAT, in euros (returns are in sales/returns).").term("finance/revenue"),
				col("item_count", "integer", "Units in the order."),
				col("payment_method", "string", "card, cash, paypal, klarna, gift_card or mixed."),
				col("loyalty_card_used", "boolean", "True when a Northwind Rewards card was scanned or signed in."),
				col("campaign_id", "string", "Campaign of the voucher or link used, if any.").nullable().term("marketing/campaign"),
			),
			demoPort("events", "Order status events", "parquet", "One row per status change.",
				col("event_id", "string", "Unique id of the event.").key(),
				orderKey,
				col("event_ts", "timestamp", "When the status changed (UTC)."),
				col("status_from", "string", "Status before; empty for the first event.").nullable(),
				col("status_to", "string", "Status after."),
				col("changed_by", "string", "system, store_staff or customer_service."),
			),
		},
		InputPorts: []InputPortInput{
			landsIn("pos/orders-*.csv", "Till receipts, every 15 minutes."),
			landsIn("webshop/orders/*.json", "Web and app orders from the order service."),
			landsIn("marketplaces/*/orders-*.csv", "Daily files from partner marketplaces."),
		},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "order_id", Kind: "not_null", Blocking: true},
			{Port: "daily", Column: "order_id", Kind: "unique", Blocking: true},
			{Port: "daily", Column: "channel", Kind: "accepted_values", Spec: `{"values":["store","web","app","marketplace"]}`, Blocking: true},
			{Port: "daily", Kind: "row_count", Description: "A normal trading day has 40,000 to 90,000 orders.", Spec: `{"min":20000}`},
			{Port: "daily", Kind: "freshness", Spec: `{"column":"order_ts","max_hours":2}`},
		},
	}},
	{"sales", StatusPublished, "", ProductInput{
		Slug: "order-lines", Name: "Order Lines", Team: "order-management", Version: "2.1.0",
		Summary:        "The SKUs in every order: quantity, price paid, discount and VAT per line.",
		Classification: ClassInternal, Tags: []string{"orders", "core", "sku"},
		Description: "One row per order line, for every order in sales/orders.\n\n" +
			"Prices are what the customer actually paid per unit, after markdowns and before order-level vouchers, which are " +
			"spread over the lines in proportion to their value. Join to supply-chain/product-catalogue on `sku` for style and " +
			"category.",
		FreshnessHours: 1, Availability: "99.9%", SupportChannel: supportSales, ResponseTime: "2 business hours",
		OutputPorts: []PortInput{demoPort("daily", "Order lines", "parquet", "Partitioned by order_date.",
			orderKey.key(),
			col("line_number", "integer", "Line within the order, from 1; with order_id it names the order line.").key().term("sales/order-line"),
			skuKey,
			col("order_date", "date", "Local date of the order."),
			storeKey.nullable(),
			col("quantity", "integer", "Units bought."),
			col("unit_price", "decimal", "Price paid per unit in euros, VAT included, after markdowns."),
			col("discount_amount", "decimal", "Share of order-level vouchers and promotions, in euros."),
			col("tax_rate", "decimal", "VAT rate applied, like 0.21."),
			col("line_net_amount", "decimal", "Line value less discount and VAT, in euros.").term("finance/revenue"),
			col("is_markdown", "boolean", "True when the unit price was below the list price."),
		)},
		InputPorts: []InputPortInput{
			landsIn("pos/lines-*.csv", "Till receipt lines."),
			landsIn("webshop/order-lines/*.json", "Web and app order lines."),
			readsFrom("sales/orders/daily", "Order dates, stores and vouchers to spread over the lines."),
		},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "order_id", Kind: "not_null", Blocking: true},
			{Port: "daily", Column: "sku", Kind: "not_null", Blocking: true},
			{Port: "daily", Column: "quantity", Kind: "range", Spec: `{"min":1,"max":500}`},
		},
	}},
	{"sales", StatusPublished, "", ProductInput{
		Slug: "returns", Name: "Returns", Team: "order-management", Version: "1.4.0",
		Summary:        "Goods brought or sent back, linked to the original order line, with reason, condition and refund.",
		Classification: ClassInternal, Tags: []string{"returns", "orders"},
		Description: "One row per returned order line, counted on the day the return is received in a store or the warehouse.\n\n" +
			"Reasons are chosen by the customer online or by store staff at the till; about 8% are \"other\". " +
			"Exchanges appear as a return plus a new order.",
		FreshnessHours: 6, Availability: "99.5%", SupportChannel: supportSales, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("daily", "Returns", "parquet", "Partitioned by return_date.",
			col("return_id", "string", "The return, like R-2025-0883121.").key().term("sales/return"),
			orderKey,
			col("line_number", "integer", "The order line returned, within its order.").term("sales/order-line"),
			skuKey,
			col("return_store_id", "string", "Store the goods were returned to; empty when returned by post.").nullable().term("sales/store"),
			col("return_ts", "timestamp", "When the return was received (UTC)."),
			col("return_date", "date", "Local date of the return."),
			col("quantity", "integer", "Units returned."),
			col("reason_code", "string", "too_small, too_large, not_as_described, faulty, changed_mind or other."),
			col("item_condition", "string", "resellable, damaged or faulty."),
			col("refund_amount", "decimal", "Refunded in euros, VAT included."),
			col("refund_method", "string", "original_payment, gift_card or exchange."),
		)},
		InputPorts: []InputPortInput{
			landsIn("pos/returns-*.csv", "Returns taken at the tills."),
			landsIn("wms/returns/*.json", "Postal returns scanned at the warehouse."),
			readsFrom("sales/order-lines/daily", "The lines being returned."),
		},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "return_id", Kind: "unique", Blocking: true},
			{Port: "daily", Column: "order_id", Kind: "not_null", Blocking: true},
		},
	}},
	{"sales", StatusDeprecated, "sales/daily-store-sales", ProductInput{
		Slug: "daily-store-sales-v1", Name: "Daily Store Sales (v1)", Team: "sales-analytics", Version: "1.6.2",
		Summary:        "The original daily sales per store, gross only. Replaced by Daily Store Sales.",
		Classification: ClassInternal, Tags: []string{"sales", "daily", "legacy"},
		Description: "The first version of the daily store report's data: one row per store and day with gross sales and units.\n\n" +
			"It has no web or app sales, no returns and no margin, and it uses calendar months rather than fiscal periods. " +
			"**Deprecated:** move to sales/daily-store-sales; this version is still refreshed until the end of the fiscal year.",
		FreshnessHours: 24, Availability: "99.0%", SupportChannel: supportSales, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("daily", "Daily store sales", "csv", "One file per day.",
			col("sales_date", "date", "The trading day.").key(),
			storeKey.key(),
			col("orders_count", "integer", "Till receipts."),
			col("units_sold", "integer", "Units sold."),
			col("gross_sales", "decimal", "Paid, VAT included, in euros.").term("finance/revenue"),
			col("sales_month", "string", "Calendar month, like 2025-07."),
		)},
		InputPorts: []InputPortInput{readsFrom("sales/orders/daily", "Store orders.")},
	}},
	{"sales", StatusPublished, "", ProductInput{
		Slug: "daily-store-sales", Name: "Daily Store Sales", Team: "sales-analytics", Version: "2.0.0",
		Summary:        "Revenue, units, returns and margin per store, channel and day, on the fiscal calendar.",
		Classification: ClassInternal, Tags: []string{"sales", "daily", "kpi"},
		Description: "The numbers behind the morning trading report: one row per day, store and channel (no store for web and app orders delivered home).\n\n" +
			"Web and app orders are attributed to the customer's home store when they collect in store, and to no store otherwise. " +
			"Margin uses the weighted average cost from supply-chain/inventory-snapshots on the day of sale.\n\n" +
			"Rebuilt each night for the last 35 days, so late returns and cancellations are reflected.",
		FreshnessHours: 24, Availability: "99.5%", SupportChannel: supportSales, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("daily", "Daily store sales", "parquet", "Partitioned by sales_date.",
			col("sales_date", "date", "The trading day.").key(),
			storeKey.nullable(),
			channelKey.key(),
			periodKey,
			col("orders_count", "integer", "Orders placed."),
			col("units_sold", "integer", "Units sold."),
			col("gross_revenue", "decimal", "Paid, VAT included, in euros.").term("finance/revenue"),
			col("net_revenue", "decimal", "Gross less VAT, discounts and returns, in euros.").term("finance/revenue"),
			col("returns_amount", "decimal", "Refunds for returns received that day, in euros."),
			col("cost_of_goods_sold", "decimal", "Units sold at weighted average cost, in euros."),
			col("gross_margin", "decimal", "Net revenue less cost of goods sold, in euros.").term("finance/margin"),
			col("avg_basket_value", "decimal", "Gross revenue per order, in euros."),
			col("footfall", "integer", "Visitors counted at the door; empty for web, app and stores without counters.").nullable(),
		)},
		InputPorts: []InputPortInput{
			readsFrom("sales/orders/daily", "Orders per store and channel."),
			readsFrom("sales/order-lines/daily", "Units and line values."),
			readsFrom("sales/returns/daily", "Refunds."),
			readsFrom("supply-chain/inventory-snapshots/daily", "Unit costs for margin."),
			readsFrom("finance/fiscal-calendar/daily", "Fiscal periods."),
			landsIn("footfall/counters-*.csv", "Door counters in 96 stores."),
		},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "sales_date", Kind: "not_null", Blocking: true},
			{Port: "daily", Kind: "row_count", Description: "Every open store reports every trading day.", Spec: `{"min":140}`},
			{Port: "daily", Kind: "freshness", Spec: `{"column":"sales_date","max_hours":30}`},
		},
	}},
	{"sales", StatusPublished, "", ProductInput{
		Slug: "revenue-by-channel", Name: "Revenue by Channel", Team: "sales-analytics", Version: "1.3.1",
		Summary:        "Daily net revenue and margin per sales channel, reconciled to the general ledger.",
		Classification: ClassConfidential, TermsOfUse: touFinancial, Tags: []string{"revenue", "channel", "kpi"},
		Description: "The channel split the board sees: one row per day and channel.\n\n" +
			"Built from the order data and then reconciled, per fiscal period, to the revenue accounts of finance/general-ledger; " +
			"the difference (usually under 0.3%) is booked to the `reconciliation_adjustment` column rather than hidden.\n\n" +
			"Figures for an open fiscal period are provisional.",
		FreshnessHours: 24, Availability: "99.5%", SupportChannel: supportSales, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("daily", "Revenue by channel", "parquet", "One row per day and channel.",
			col("revenue_date", "date", "The trading day.").key(),
			channelKey.key(),
			periodKey,
			col("orders_count", "integer", "Orders placed."),
			col("gross_revenue", "decimal", "Paid, VAT included, in euros.").term("finance/revenue"),
			col("net_revenue", "decimal", "Net revenue in euros, after reconciliation.").term("finance/revenue"),
			col("returns_amount", "decimal", "Refunds in euros."),
			col("gross_margin", "decimal", "Net revenue less cost of goods sold, in euros.").term("finance/margin"),
			col("reconciliation_adjustment", "decimal", "Ledger minus order data for the period, spread by day, in euros."),
			col("is_provisional", "boolean", "True while the fiscal period is open."),
		)},
		InputPorts: []InputPortInput{
			readsFrom("sales/orders/daily", "Orders per channel."),
			readsFrom("sales/returns/daily", "Refunds per channel."),
			readsFrom("sales/daily-store-sales/daily", "Margin per channel."),
			readsFrom("finance/general-ledger/daily", "Revenue accounts, for reconciliation."),
		},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "channel", Kind: "accepted_values", Spec: `{"values":["store","web","app","marketplace"]}`, Blocking: true},
			{Port: "daily", Column: "reconciliation_adjustment", Kind: "sql", Description: "Reconciliation differences stay under 1% of net revenue.",
				Spec: `{"query":"SELECT * FROM daily WHERE ABS(reconciliation_adjustment) > 0.01 * net_revenue","expect":"no rows"}`},
		},
	}},

	// Customer.
	{"customer", StatusPublished, "", ProductInput{
		Slug: "customer-360", Name: "Customer 360", Team: "customer-360", Version: "2.4.0",
		Summary:        "One profile per customer across stores, web, app and loyalty: contact details, home store and lifetime value.",
		Classification: ClassRestricted, TermsOfUse: touPersonal, Tags: []string{"customer", "pii", "golden-record"},
		Description: "The golden record of every known customer: one row per `customer_id`, merged from the CRM, web accounts and " +
			"Northwind Rewards.\n\n" +
			"Profiles are matched on email, then on phone and loyalty card; merges are logged and reversible. Customers who asked " +
			"to be forgotten are removed within 30 days and never reappear.\n\n" +
			"Restricted because it holds names, addresses and birth dates: for most analysis customer/customer-segments is enough.",
		FreshnessHours: 24, Availability: "99.5%", SupportChannel: supportCustomer, ResponseTime: "2 business hours",
		OutputPorts: []PortInput{demoPort("current", "Customer profiles", "parquet", "One row per customer, rebuilt nightly.",
			col("customer_id", "string", "The customer, like C004417291.").key().term("customer/customer"),
			col("first_name", "string", "Given name.").pii(),
			col("last_name", "string", "Family name.").pii(),
			col("email", "string", "Primary email address.").nullable().pii(),
			col("phone", "string", "Mobile number in E.164 form.").nullable().pii(),
			col("birth_date", "date", "Date of birth, when given for the birthday voucher.").nullable().pii(),
			col("street_address", "string", "Street and house number.").nullable().pii(),
			col("postal_code", "string", "Postcode.").nullable().pii(),
			col("city", "string", "Town or city.").nullable(),
			col("country_code", "string", "ISO 3166 country."),
			col("signup_date", "date", "First purchase or account creation."),
			col("signup_channel", "string", "Channel of the first contact.").term("sales/channel"),
			col("home_store_id", "string", "The store the customer buys from most.").nullable().term("sales/store"),
			col("loyalty_tier", "string", "Bronze, Silver or Gold; empty for non-members.").nullable().term("customer/loyalty-tier"),
			col("lifetime_orders", "integer", "Orders since signup."),
			col("lifetime_net_revenue", "decimal", "Net revenue since signup, in euros.").term("finance/revenue"),
			col("last_order_date", "date", "Date of the latest order.").nullable(),
			col("is_email_contactable", "boolean", "Has a valid email and current email-marketing consent."),
		)},
		InputPorts: []InputPortInput{
			landsIn("crm/customers-*.json", "Nightly CRM export."),
			landsIn("webshop/accounts/*.json", "Web and app accounts."),
			readsFrom("sales/orders/daily", "Lifetime orders, revenue and home store."),
		},
		Quality: []QualityRuleInput{
			{Port: "current", Column: "customer_id", Kind: "unique", Blocking: true},
			{Port: "current", Column: "customer_id", Kind: "not_null", Blocking: true},
			{Port: "current", Kind: "row_count", Description: "About 2.4 million known customers.", Spec: `{"min":2000000}`},
		},
	}},
	{"customer", StatusPublished, "", ProductInput{
		Slug: "customer-consent", Name: "Customer Consent", Team: "customer-360", Version: "1.3.0",
		Summary:        "What each customer has agreed to: email, SMS, profiling and partner sharing, with the full history of changes.",
		Classification: ClassRestricted, TermsOfUse: touPersonal, Tags: []string{"customer", "consent", "gdpr"},
		Description: "The record of marketing consent that every campaign must check before contacting anyone.\n\n" +
			"- `current`: the latest decision per customer and purpose. No row means no consent.\n" +
			"- `events`: every grant and withdrawal, with its source and privacy-policy version, kept for seven years as evidence.\n\n" +
			"Withdrawals are applied within an hour of being received.",
		FreshnessHours: 1, Availability: "99.9%", SupportChannel: supportCustomer, ResponseTime: "2 business hours",
		OutputPorts: []PortInput{
			demoPort("current", "Current consent", "parquet", "One row per customer and purpose.",
				col("customer_id", "string", "The customer.").key().term("customer/customer"),
				col("purpose", "string", "email_marketing, sms_marketing, profiling or partner_sharing.").key().term("customer/consent"),
				col("is_granted", "boolean", "True when the customer currently agrees."),
				col("decided_at", "timestamp", "When the latest decision was made (UTC)."),
				col("source", "string", "checkout, app, store, preference_centre or unsubscribe_link."),
				col("policy_version", "string", "Privacy-policy version shown, like 2024-11."),
			),
			demoPort("events", "Consent events", "parquet", "Every grant and withdrawal, append-only.",
				col("event_id", "string", "Unique id of the event.").key(),
				col("customer_id", "string", "The customer.").term("customer/customer"),
				col("purpose", "string", "The purpose decided on.").term("customer/consent"),
				col("is_granted", "boolean", "Granted (true) or withdrawn (false)."),
				col("decided_at", "timestamp", "When (UTC)."),
				col("source", "string", "Where the decision was captured."),
				col("policy_version", "string", "Privacy-policy version shown."),
				col("ip_address", "string", "IP address for online decisions, kept as evidence.").nullable().pii(),
			),
		},
		InputPorts: []InputPortInput{
			landsIn("consent/events-*.json", "Consent events from the web shop, app and preference centre."),
			landsIn("pos/consent-*.csv", "Consent captured at the tills."),
		},
		Quality: []QualityRuleInput{
			{Port: "current", Column: "customer_id", Kind: "not_null", Blocking: true},
			{Port: "current", Column: "purpose", Kind: "accepted_values",
				Spec: `{"values":["email_marketing","sms_marketing","profiling","partner_sharing"]}`, Blocking: true},
			{Port: "events", Kind: "freshness", Spec: `{"column":"decided_at","max_hours":1}`, Blocking: true},
		},
	}},
	{"customer", StatusPublished, "", ProductInput{
		Slug: "customer-segments", Name: "Customer Segments", Team: "customer-360", Version: "2.0.0",
		Summary:        "Weekly RFM scores, value band and segment for every customer, without contact details.",
		Classification: ClassConfidential, TermsOfUse: touCustomerInsight, Tags: []string{"customer", "segmentation", "rfm"},
		Description: "Every Monday each customer is scored on recency, frequency and monetary value (1 to 5) over the last 24 months " +
			"and placed in one of eight segments, from *Champions* to *Lost*.\n\n" +
			"No names or contact details: join to customer/customer-360 only if your access covers it. " +
			"Segment definitions changed in 2.0.0 (eight segments instead of five); history before that was rescored.",
		FreshnessHours: 168, Availability: "99.5%", SupportChannel: supportCustomer, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("weekly", "Weekly segments", "parquet", "One row per customer and week.",
			col("customer_id", "string", "The customer.").key().term("customer/customer"),
			col("scored_on", "date", "The Monday the scores apply from.").key(),
			col("segment_code", "string", "champions, loyal, potential, new, at_risk, hibernating, cant_lose or lost."),
			col("recency_score", "integer", "1 (long ago) to 5 (recent)."),
			col("frequency_score", "integer", "1 (rarely) to 5 (often)."),
			col("monetary_score", "integer", "1 (low spend) to 5 (high spend)."),
			col("value_band", "string", "Top 5%, top 20%, middle or bottom, by 24-month net revenue."),
			col("net_revenue_24m", "decimal", "Net revenue in the last 24 months, in euros.").term("finance/revenue"),
			col("loyalty_tier", "string", "Tier on the scoring date.").nullable().term("customer/loyalty-tier"),
			col("preferred_channel", "string", "Channel of most orders.").term("sales/channel"),
		)},
		InputPorts: []InputPortInput{
			readsFrom("customer/customer-360/current", "Known customers and tiers."),
			readsFrom("sales/orders/daily", "Orders of the last 24 months."),
		},
		Quality: []QualityRuleInput{
			{Port: "weekly", Column: "customer_id", Kind: "not_null", Blocking: true},
			{Port: "weekly", Column: "recency_score", Kind: "range", Spec: `{"min":1,"max":5}`, Blocking: true},
		},
	}},
	{"customer", StatusPublished, "", ProductInput{
		Slug: "loyalty-members", Name: "Loyalty Members", Team: "loyalty", Version: "1.8.0",
		Summary:        "Every Northwind Rewards member: tier, points balance, enrolment and app usage.",
		Classification: ClassConfidential, TermsOfUse: touCustomerInsight, Tags: []string{"loyalty", "customer", "rewards"},
		Description: "One row per Northwind Rewards membership, active or closed.\n\n" +
			"Tiers are recalculated nightly from the points earned in the last twelve months; points balances are as of midnight. " +
			"Card numbers are personal data: use `member_id` or `customer_id` to join.",
		FreshnessHours: 24, Availability: "99.5%", SupportChannel: supportCustomer, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("current", "Members", "parquet", "One row per membership.",
			col("member_id", "string", "The membership, like M00918233.").key(),
			col("customer_id", "string", "The customer holding it.").term("customer/customer"),
			col("card_number", "string", "The 16-digit card number printed on the card.").pii(),
			col("loyalty_tier", "string", "Bronze, Silver or Gold.").term("customer/loyalty-tier"),
			col("tier_since", "date", "Date the current tier was reached."),
			col("points_balance", "integer", "Points available to spend."),
			col("lifetime_points", "integer", "Points earned since enrolment."),
			col("enrolled_at", "timestamp", "When the member joined (UTC)."),
			col("enrolment_store_id", "string", "Store the member joined in; empty for online sign-ups.").nullable().term("sales/store"),
			col("uses_app", "boolean", "Signed in to the app in the last 90 days."),
			col("member_status", "string", "active, lapsed (no purchase in 24 months) or closed."),
		)},
		InputPorts: []InputPortInput{landsIn("loyalty/members-*.csv", "Nightly export of the loyalty platform.")},
		Quality: []QualityRuleInput{
			{Port: "current", Column: "member_id", Kind: "unique", Blocking: true},
			{Port: "current", Column: "loyalty_tier", Kind: "accepted_values", Spec: `{"values":["Bronze","Silver","Gold"]}`},
		},
	}},
	{"customer", StatusPublished, "", ProductInput{
		Slug: "loyalty-transactions", Name: "Loyalty Transactions", Team: "loyalty", Version: "1.5.0",
		Summary:        "Points earned, redeemed, expired and adjusted, one row per points transaction.",
		Classification: ClassInternal, Tags: []string{"loyalty", "events", "rewards"},
		Description: "The points ledger of Northwind Rewards, as events.\n\n" +
			"Purchases earn one point per euro of net spend, credited when the order is fulfilled; returns reverse them. " +
			"Points expire after 24 months without activity, in a monthly batch on the first Sunday.",
		FreshnessHours: 6, Availability: "99.5%", SupportChannel: supportCustomer, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("events", "Points transactions", "parquet", "Partitioned by transaction date.",
			col("transaction_id", "string", "Unique id of the points transaction.").key(),
			col("member_id", "string", "The membership."),
			col("customer_id", "string", "The member's customer id.").term("customer/customer"),
			orderKey.nullable(),
			storeKey.nullable(),
			col("transaction_ts", "timestamp", "When the points moved (UTC)."),
			col("transaction_type", "string", "earn, redeem, expire, reverse or adjust."),
			col("points", "integer", "Points added (positive) or taken (negative)."),
			col("balance_after", "integer", "Balance after the transaction."),
			col("reason", "string", "Campaign bonus, goodwill adjustment and the like.").nullable(),
		)},
		InputPorts: []InputPortInput{
			landsIn("loyalty/transactions/*.json", "Points events from the loyalty platform."),
			readsFrom("customer/loyalty-members/current", "Maps memberships to customers."),
		},
		Quality: []QualityRuleInput{
			{Port: "events", Column: "transaction_id", Kind: "unique", Blocking: true},
			{Port: "events", Column: "transaction_type", Kind: "accepted_values", Spec: `{"values":["earn","redeem","expire","reverse","adjust"]}`},
		},
	}},

	// Marketing.
	{"marketing", StatusPublished, "", ProductInput{
		Slug: "campaigns", Name: "Campaigns", Team: "campaigns", Version: "1.6.0",
		Summary:        "Every marketing campaign: objective, media, dates, budget and the cost centre it is charged to.",
		Classification: ClassInternal, Tags: []string{"campaigns", "reference", "marketing"},
		Description: "The campaign calendar from the campaign planner, one row per campaign since 2021.\n\n" +
			"Budgets are the approved ones; spend is in marketing/campaign-performance. `campaign_id` is the `utm_campaign` " +
			"of the campaign's links and the code on its vouchers, so orders and sessions join on it.",
		FreshnessHours: 24, Availability: "99.5%", SupportChannel: supportMarket, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("current", "Campaigns", "parquet", "One row per campaign.",
			col("campaign_id", "string", "The campaign, like CMP-2025-014.").key().term("marketing/campaign"),
			col("campaign_name", "string", "Name, like \"Autumn Trail Launch\"."),
			col("objective", "string", "acquisition, retention, reactivation or awareness."),
			col("media", "string", "Media used, comma-separated: email, paid_social, search, display, in_store."),
			col("start_date", "date", "First day live."),
			col("end_date", "date", "Last day live."),
			col("budget_amount", "decimal", "Approved budget in euros."),
			col("target_segment_code", "string", "The customer segment targeted, if any.").nullable(),
			col("cost_centre_code", "string", "Cost centre the spend is charged to.").term("finance/cost-centre"),
			col("campaign_status", "string", "planned, live, ended or cancelled."),
		)},
		InputPorts: []InputPortInput{landsIn("campaign-planner/campaigns-*.csv", "Nightly export of the campaign planner.")},
		Quality: []QualityRuleInput{
			{Port: "current", Column: "campaign_id", Kind: "unique", Blocking: true},
			{Port: "current", Column: "budget_amount", Kind: "range", Spec: `{"min":0}`},
		},
	}},
	{"marketing", StatusRetired, "marketing/web-sessions", ProductInput{
		Slug: "web-sessions-legacy", Name: "Web Sessions (Universal Analytics)", Team: "web-analytics", Version: "1.9.0",
		Summary:        "Sessions from the old Universal Analytics export. Retired: use Web Sessions.",
		Classification: ClassInternal, Tags: []string{"web", "legacy"},
		Description: "Daily session export from Universal Analytics, kept from 2019 until the switch to server-side tracking.\n\n" +
			"Sampled above 500,000 sessions a day and blind to visitors who refused cookies. " +
			"**Retired:** no longer refreshed; marketing/web-sessions has the full history from 2023.",
		FreshnessHours: 24, Availability: "99.0%", SupportChannel: supportMarket, ResponseTime: "2 business days",
		OutputPorts: []PortInput{demoPort("daily", "Sessions", "csv", "One file per day.",
			col("ga_session_id", "string", "Session id from Universal Analytics.").key(),
			col("session_date", "date", "Date of the session."),
			col("source_medium", "string", "Traffic source and medium, like google / cpc."),
			col("device_category", "string", "desktop, mobile or tablet."),
			col("pageviews", "integer", "Pages viewed."),
			col("transactions", "integer", "Orders placed."),
		)},
		InputPorts: []InputPortInput{landsIn("ua-export/sessions_*.csv", "Daily Universal Analytics export.")},
	}},
	{"marketing", StatusPublished, "", ProductInput{
		Slug: "web-sessions", Name: "Web Sessions", Team: "web-analytics", Version: "2.0.0",
		Summary:        "Every visit to the web shop and the app, from server-side tracking: source, campaign, pages and outcome.",
		Classification: ClassConfidential, TermsOfUse: touCustomerInsight, Tags: []string{"web", "sessions", "clickstream"},
		Description: "One row per session, built from the server-side event stream every six hours.\n\n" +
			"Unlike the retired Universal Analytics export it is unsampled and includes visitors who refused analytics cookies, " +
			"without a `visitor_id`. Bots and internal traffic are removed.\n\n" +
			"Known limitation: sessions that cross midnight UTC are split in two.",
		FreshnessHours: 6, Availability: "99.5%", SupportChannel: supportMarket, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("events", "Sessions", "parquet", "Partitioned by session date.",
			col("session_id", "string", "The session.").key().term("marketing/session"),
			col("visitor_id", "string", "First-party cookie id; empty when analytics cookies were refused.").nullable().pii(),
			col("customer_id", "string", "The customer, once signed in.").nullable().term("customer/customer"),
			col("started_at", "timestamp", "First event (UTC)."),
			col("ended_at", "timestamp", "Last event (UTC)."),
			col("session_channel", "string", "web or app.").term("sales/channel"),
			col("device_type", "string", "desktop, mobile or tablet."),
			col("country_code", "string", "Country from the IP address, which is not kept."),
			col("traffic_source", "string", "direct, organic_search, paid_search, paid_social, email, referral or affiliate."),
			col("campaign_id", "string", "Campaign of the landing link.").nullable().term("marketing/campaign"),
			col("landing_page", "string", "Path of the first page."),
			col("page_views", "integer", "Pages and app screens viewed."),
			col("is_bounce", "boolean", "Only one page viewed."),
			col("order_id", "string", "The order placed in the session, if any.").nullable().term("sales/order"),
		)},
		InputPorts: []InputPortInput{landsIn("clickstream/*/events-*.json.gz", "Server-side tracking events, hourly.")},
		Quality: []QualityRuleInput{
			{Port: "events", Column: "session_id", Kind: "unique", Blocking: true},
			{Port: "events", Kind: "freshness", Spec: `{"column":"started_at","max_hours":8}`},
			{Port: "events", Kind: "row_count", Spec: `{"min":100000}`},
		},
	}},
	{"marketing", StatusPublished, "", ProductInput{
		Slug: "campaign-performance", Name: "Campaign Performance", Team: "campaigns", Version: "2.2.0",
		Summary:        "Daily spend, reach, clicks, attributed orders and revenue per campaign and medium.",
		Classification: ClassInternal, Tags: []string{"campaigns", "kpi", "attribution"},
		Description: "How each campaign is doing, one row per campaign, medium and day.\n\n" +
			"Spend comes from the ad platforms' daily files; orders and revenue are attributed by last click within seven days, " +
			"or by voucher code in store. ROAS is attributed net revenue over spend.\n\n" +
			"Ad platforms restate clicks for up to three days, so the last three days still move.",
		FreshnessHours: 24, Availability: "99.5%", SupportChannel: supportMarket, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("daily", "Daily performance", "parquet", "One row per campaign, medium and day.",
			col("campaign_id", "string", "The campaign.").key().term("marketing/campaign"),
			col("performance_date", "date", "The day.").key(),
			col("medium", "string", "email, paid_social, search, display or in_store.").key(),
			col("impressions", "integer", "Ads or emails shown.").nullable(),
			col("clicks", "integer", "Clicks to the web shop or app.").nullable(),
			col("spend_amount", "decimal", "Media spend in euros."),
			col("sessions", "integer", "Sessions landing from the campaign."),
			col("attributed_orders", "integer", "Orders attributed to the campaign."),
			col("attributed_net_revenue", "decimal", "Their net revenue, in euros.").term("finance/revenue"),
			col("new_customers", "integer", "Attributed orders that were a customer's first."),
			col("roas", "decimal", "Attributed net revenue divided by spend.").nullable(),
		)},
		InputPorts: []InputPortInput{
			readsFrom("marketing/campaigns/current", "Campaigns and their media."),
			readsFrom("marketing/web-sessions/events", "Sessions and last-click orders."),
			readsFrom("sales/orders/daily", "Orders with a voucher code."),
			landsIn("ad-platforms/*/spend-*.csv", "Daily spend files from Meta, Google and the email platform."),
		},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "campaign_id", Kind: "not_null", Blocking: true},
			{Port: "daily", Column: "spend_amount", Kind: "range", Spec: `{"min":0}`},
		},
	}},
	{"marketing", StatusPublished, "", ProductInput{
		Slug: "email-engagement", Name: "Email Engagement", Team: "campaigns", Version: "1.1.0",
		Summary:        "Sends, opens, clicks, bounces and unsubscribes for every marketing email, per recipient.",
		Classification: ClassConfidential, TermsOfUse: touCustomerInsight, Tags: []string{"email", "campaigns", "events"},
		Description: "Events from the email service provider, one row per recipient and event.\n\n" +
			"Opens are unreliable since mail clients started preloading images: use clicks to measure engagement. " +
			"Unsubscribes also flow to customer/customer-consent within the hour.",
		FreshnessHours: 6, Availability: "99.5%", SupportChannel: supportMarket, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("events", "Email events", "parquet", "Partitioned by event date.",
			col("event_id", "string", "Unique id of the event.").key(),
			col("campaign_id", "string", "The campaign the email belongs to.").term("marketing/campaign"),
			col("customer_id", "string", "The recipient.").term("customer/customer"),
			col("email_address_hash", "string", "SHA-256 of the lower-cased address, to spot duplicates.").pii(),
			col("event_type", "string", "sent, delivered, opened, clicked, bounced, complained or unsubscribed."),
			col("event_ts", "timestamp", "When it happened (UTC)."),
			col("link_url", "string", "The link clicked.").nullable(),
			col("device_type", "string", "desktop, mobile or unknown.").nullable(),
		)},
		InputPorts: []InputPortInput{
			landsIn("esp/events-*.json", "Webhook events from the email service provider."),
			readsFrom("customer/customer-consent/current", "Only customers with email consent are mailed."),
			readsFrom("marketing/campaigns/current", "Campaign ids of the mailings."),
		},
		Quality: []QualityRuleInput{
			{Port: "events", Column: "event_id", Kind: "unique", Blocking: true},
			{Port: "events", Column: "event_type", Kind: "accepted_values",
				Spec: `{"values":["sent","delivered","opened","clicked","bounced","complained","unsubscribed"]}`},
		},
	}},
	{"marketing", StatusPublished, "", ProductInput{
		Slug: "conversion-funnel", Name: "Conversion Funnel", Team: "web-analytics", Version: "1.3.0",
		Summary:        "Daily web and app funnel from session to order, by device and traffic source.",
		Classification: ClassPublic, Tags: []string{"web", "funnel", "kpi"},
		Description: "Aggregated counts of sessions reaching each step of the funnel: product view, add to basket, checkout, order.\n\n" +
			"No personal data, so anyone may use it. One row per day, channel, device and traffic source; conversion rate is " +
			"orders over sessions.",
		FreshnessHours: 24, Availability: "99.5%", SupportChannel: supportMarket, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("daily", "Daily funnel", "parquet", "One row per day, channel, device and source.",
			col("funnel_date", "date", "The day.").key(),
			col("session_channel", "string", "web or app.").key().term("sales/channel"),
			col("device_type", "string", "desktop, mobile or tablet.").key(),
			col("traffic_source", "string", "Traffic source of the sessions.").key(),
			col("sessions", "integer", "Sessions."),
			col("product_view_sessions", "integer", "Sessions that viewed a product page."),
			col("add_to_basket_sessions", "integer", "Sessions that added to the basket."),
			col("checkout_sessions", "integer", "Sessions that started checkout."),
			col("orders", "integer", "Orders placed."),
			col("conversion_rate", "decimal", "Orders divided by sessions."),
		)},
		InputPorts: []InputPortInput{
			readsFrom("marketing/web-sessions/events", "Sessions and their steps."),
			readsFrom("sales/orders/daily", "Orders, to check session attribution."),
		},
		Quality: []QualityRuleInput{
			{Port: "daily", Column: "conversion_rate", Kind: "range", Spec: `{"min":0,"max":1}`, Blocking: true},
		},
	}},

	// Supply chain: deliveries, after the orders they carry.
	{"supply-chain", StatusPublished, "", ProductInput{
		Slug: "shipments", Name: "Shipments", Team: "logistics", Version: "2.0.0",
		Summary:        "Every consignment handed to a carrier: inbound, store replenishment and home delivery, with tracking milestones.",
		Classification: ClassInternal, Tags: []string{"logistics", "delivery", "carriers"},
		Description: "One row per shipment, updated as carriers report tracking milestones.\n\n" +
			"Home deliveries carry the `order_id`; replenishment and inbound shipments the transfer or purchase order instead. " +
			"Only the delivery postcode is kept, not the full address.\n\n" +
			"Known limitation: one regional carrier reports delivery only once a day.",
		FreshnessHours: 1, Availability: "99.5%", SupportChannel: supportSupply, ResponseTime: "2 business hours",
		OutputPorts: []PortInput{demoPort("current", "Shipments", "parquet", "One row per shipment, latest state.",
			col("shipment_id", "string", "The shipment, like SH-25-3318870.").key().term("supply-chain/shipment"),
			col("shipment_type", "string", "inbound, replenishment or home_delivery."),
			orderKey.nullable(),
			col("po_number", "string", "Purchase order, for inbound shipments.").nullable(),
			col("origin_warehouse_id", "string", "Warehouse it left, or reached for inbound.").term("supply-chain/warehouse"),
			col("destination_store_id", "string", "Store it goes to, for replenishment.").nullable().term("sales/store"),
			col("delivery_postcode", "string", "Postcode of a home delivery.").nullable().pii(),
			col("carrier", "string", "Carrier name."),
			col("service_level", "string", "standard, next_day or named_day."),
			col("tracking_number", "string", "The carrier's tracking number."),
			col("shipped_at", "timestamp", "Handed to the carrier (UTC)."),
			col("promised_date", "date", "Delivery date promised to the customer or store."),
			col("delivered_at", "timestamp", "Delivered (UTC); empty until then.").nullable(),
			col("parcels", "integer", "Parcels or pallets."),
			col("is_on_time", "boolean", "Delivered by the promised date; empty until delivered.").nullable(),
		)},
		InputPorts: []InputPortInput{
			landsIn("wms/dispatch/*.csv", "Dispatch confirmations from the warehouses."),
			landsIn("carriers/*/tracking-*.json", "Tracking events from the carriers."),
			readsFrom("sales/orders/daily", "Orders for home deliveries."),
			readsFrom("supply-chain/purchase-orders/headers", "Purchase orders for inbound shipments."),
		},
		Quality: []QualityRuleInput{
			{Port: "current", Column: "shipment_id", Kind: "unique", Blocking: true},
			{Port: "current", Column: "shipment_type", Kind: "accepted_values", Spec: `{"values":["inbound","replenishment","home_delivery"]}`, Blocking: true},
			{Port: "current", Kind: "freshness", Spec: `{"column":"shipped_at","max_hours":2}`},
		},
	}},

	// Finance results, built on everything above.
	{"finance", StatusPublished, "", ProductInput{
		Slug: "monthly-pnl", Name: "Monthly P&L", Team: "financial-reporting", Version: "1.3.0",
		Summary:        "The profit and loss account per fiscal period, by channel and store, with prior year.",
		Classification: ClassConfidential, TermsOfUse: touFinancial, Tags: []string{"finance", "pnl", "board"},
		Description: "The P&L as reported to the board: one row per fiscal period, P&L line, channel and store (no store for central lines).\n\n" +
			"Built from finance/general-ledger through the reporting hierarchy of accounts; the channel split of revenue and cost " +
			"of sales comes from sales/daily-store-sales. Store running costs are allocated to channels by floor space.\n\n" +
			"Rows for the current period appear on day 3 of the close and are final (`is_final`) on day 5.",
		FreshnessHours: 168, Availability: "99.5%", SupportChannel: supportFinance, ResponseTime: "4 business hours",
		OutputPorts: []PortInput{demoPort("monthly", "P&L by period", "parquet", "One row per period, line, channel and store.",
			periodKey.key(),
			col("pnl_line", "string", "net_revenue, cost_of_sales, gross_margin, store_costs, marketing, logistics, central_costs or ebitda.").key(),
			channelKey.key(),
			storeKey.nullable(),
			col("amount", "decimal", "Actual in euros.").term("finance/revenue"),
			col("prior_year_amount", "decimal", "Same period last year, in euros.").nullable(),
			col("cost_centre_code", "string", "Cost centre, for cost lines.").nullable().term("finance/cost-centre"),
			col("is_final", "boolean", "True once the period is closed."),
		)},
		InputPorts: []InputPortInput{
			readsFrom("finance/general-ledger/daily", "Posted journal lines."),
			readsFrom("finance/cost-centres/current", "The reporting hierarchy."),
			readsFrom("sales/daily-store-sales/daily", "The channel split of revenue and margin."),
		},
		Quality: []QualityRuleInput{
			{Port: "monthly", Column: "fiscal_period", Kind: "not_null", Blocking: true},
			{Port: "monthly", Kind: "sql", Description: "Net revenue matches the ledger's revenue accounts.",
				Spec: `{"query":"SELECT fiscal_period FROM monthly m JOIN ledger_revenue l USING (fiscal_period) WHERE m.pnl_line = 'net_revenue' GROUP BY fiscal_period HAVING ABS(SUM(amount) - MAX(l.revenue)) > 1","expect":"no rows"}`},
		},
	}},
	{"finance", StatusDraft, "", ProductInput{
		Slug: "budget-vs-actual", Name: "Budget vs Actual", Team: "controlling", Version: "0.4.0",
		Summary:        "Actuals against budget and the latest forecast, per cost centre and fiscal period. Being designed.",
		Classification: ClassConfidential, TermsOfUse: touFinancial, Tags: []string{"finance", "budget", "controlling"},
		Description: "**Draft.** Controlling is designing this for the FY26 budget cycle, to replace the budget workbooks.\n\n" +
			"One row per fiscal period, cost centre and account group: actual from finance/general-ledger, budget and latest " +
			"forecast from the planning tool. Open question: whether forecasts are kept per version or only the latest.",
		FreshnessHours: 24, Availability: "99.0%", SupportChannel: supportFinance, ResponseTime: "1 business day",
		OutputPorts: []PortInput{demoPort("monthly", "Budget vs actual", "parquet", "One row per period, cost centre and account group.",
			periodKey.key(),
			col("cost_centre_code", "string", "The cost centre.").key().term("finance/cost-centre"),
			col("account_group", "string", "revenue, cost_of_sales, staff, rent, marketing or other.").key(),
			col("actual_amount", "decimal", "Actual in euros."),
			col("budget_amount", "decimal", "Approved budget in euros."),
			col("forecast_amount", "decimal", "Latest forecast in euros.").nullable(),
			col("variance_amount", "decimal", "Actual less budget, in euros."),
		)},
		InputPorts: []InputPortInput{
			readsFrom("finance/general-ledger/daily", "Actuals."),
			readsFrom("finance/cost-centres/current", "Cost-centre hierarchy."),
			landsIn("planning/budget-*.csv", "Budget and forecast exports from the planning tool."),
		},
	}},
	{"customer", StatusDraft, "", ProductInput{
		Slug: "churn-scores", Name: "Churn Scores", Team: "customer-360", Version: "0.2.0",
		Summary:        "Weekly probability that a customer stops buying in the next 90 days. Being designed.",
		Classification: ClassConfidential, TermsOfUse: touCustomerInsight, Tags: []string{"customer", "model", "churn"},
		Description: "**Draft.** A churn model the Customer 360 team is trialling with the Loyalty team.\n\n" +
			"Scores every active customer each Monday; the model is retrained monthly on 24 months of orders and points. " +
			"Not yet validated: do not use it for targeting until it is published.",
		FreshnessHours: 168, Availability: "99.0%", SupportChannel: supportCustomer, ResponseTime: "2 business days",
		OutputPorts: []PortInput{demoPort("weekly", "Weekly scores", "parquet", "One row per customer and week.",
			col("customer_id", "string", "The customer.").key().term("customer/customer"),
			col("scored_on", "date", "The Monday of the score.").key(),
			col("churn_probability", "decimal", "Probability of no order in the next 90 days, 0 to 1."),
			col("top_driver", "string", "Feature contributing most to the score."),
			col("model_version", "string", "Model that produced the score."),
			col("is_holdout", "boolean", "In the holdout group that no campaign targets."),
		)},
		InputPorts: []InputPortInput{
			readsFrom("customer/customer-segments/weekly", "RFM scores as features."),
			readsFrom("customer/loyalty-transactions/events", "Points activity as features."),
		},
	}},
}

// seedCatalog writes the demo glossary and data products that do not exist
// yet, as admin, through the same Store methods people use. What exists, or
// existed under a name since changed, is left alone: when the catalog is
// complete it costs three queries.
func (s *Store) seedCatalog(ctx context.Context, admin *User) error {
	terms, err := s.demoRefs(ctx, s.db(ctx).Table("glossary_terms").
		Select("domains.slug AS domain_slug, glossary_terms.slug AS slug").
		Joins("JOIN domains ON domains.id = glossary_terms.domain_id"))
	if err != nil {
		return err
	}
	for _, dt := range demoTerms {
		if terms[dt.domain+"/"+dt.slug] {
			continue
		}
		in := TermInput{Slug: dt.slug, Name: dt.name, Definition: dt.definition, Synonyms: dt.synonyms}
		if _, err := s.CreateTerm(ctx, admin, dt.domain, in); err != nil {
			return fmt.Errorf("seed term %s/%s: %w", dt.domain, dt.slug, err)
		}
	}

	// Renamed products keep their old address: count those as present too.
	products, err := s.demoRefs(ctx, s.db(ctx).Table("products").
		Select("domains.slug AS domain_slug, products.slug AS slug").
		Joins("JOIN domains ON domains.id = products.domain_id"))
	if err != nil {
		return err
	}
	moved, err := s.demoRefs(ctx, s.db(ctx).Table("product_redirects").Select("old_domain AS domain_slug, old_slug AS slug"))
	if err != nil {
		return err
	}
	type seeded struct {
		dp *demoProduct
		p  *Product
	}
	var created []seeded
	for i := range demoProducts {
		dp := &demoProducts[i]
		ref := dp.domain + "/" + dp.in.Slug
		if products[ref] || moved[ref] {
			continue
		}
		p, err := s.CreateProduct(ctx, admin, dp.domain, cloneDemoInput(dp.in))
		if err == nil && dp.status != StatusDraft {
			p, err = s.SetProductStatus(ctx, admin, p, StatusPublished, "")
		}
		if err != nil {
			return fmt.Errorf("seed product %s: %w", ref, err)
		}
		created = append(created, seeded{dp, p})
	}
	// Old versions are deprecated once their replacements are live.
	for _, c := range created {
		if c.dp.status != StatusDeprecated && c.dp.status != StatusRetired {
			continue
		}
		p, err := s.SetProductStatus(ctx, admin, c.p, StatusDeprecated, c.dp.replacement)
		if err == nil && c.dp.status == StatusRetired {
			_, err = s.SetProductStatus(ctx, admin, p, StatusRetired, "")
		}
		if err != nil {
			return fmt.Errorf("seed product %s/%s: %w", c.dp.domain, c.dp.in.Slug, err)
		}
	}
	return nil
}

// demoRefs runs q, which selects domain_slug and slug, into a set of
// "domain/slug" references.
func (s *Store) demoRefs(ctx context.Context, q *gorm.DB) (map[string]bool, error) {
	var rows []struct{ DomainSlug, Slug string }
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("seed: existing catalog: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.DomainSlug+"/"+r.Slug] = true
	}
	return out, nil
}

// cloneDemoInput copies in deeply enough that normalizing the copy leaves the demo
// tables untouched, so concurrent seeds of different databases do not race.
func cloneDemoInput(in ProductInput) ProductInput {
	in.Tags = append([]string(nil), in.Tags...)
	in.OutputPorts = append([]PortInput(nil), in.OutputPorts...)
	for i := range in.OutputPorts {
		in.OutputPorts[i].Columns = append([]ColumnInput(nil), in.OutputPorts[i].Columns...)
	}
	in.InputPorts = append([]InputPortInput(nil), in.InputPorts...)
	in.Quality = append([]QualityRuleInput(nil), in.Quality...)
	return in
}
