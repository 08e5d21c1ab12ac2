package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The demo company's pipelines: one per output port of every demo product
// that has inputs (retired ones excepted), written as Northwind's data
// engineers would, over the landing files lake.GenerateDemoLanding writes
// and over other products' ports. SeedDemoPipelines saves them through
// SavePipeline as an owner of each product's team, after filing the access
// requests their teams need to read other teams' products, so the first
// runs find their inputs.
//
// Most quality rules of the demo products pass on the generated data. These
// fail, on purpose or because the demo is small:
//   - customer/loyalty-transactions, "unique on transaction_id" (blocking):
//     the loyalty platform re-sent a batch after a timeout and the pipeline
//     does not deduplicate, so nothing is published until someone adds a
//     QUALIFY to the SQL.
//   - customer/customer-360, "About 2.4 million known customers" (warning):
//     the demo company has 60,000.
//   - sales/revenue-by-channel, reconciliation under 1% (warning): the
//     ledger books marketplace sales net of the partners' 12-15% commission,
//     so the marketplace rows carry an adjustment of about a fifth of their
//     net revenue.
//   - finance/monthly-pnl, "Net revenue matches the ledger" (warning): its
//     query reads ledger_revenue, which no check can see.
//
// The freshness rules pass while the landing data is fresh and start
// failing hours later, as they would: customer/customer-consent's events
// port is blocking, so after an hour its runs keep the previous snapshot.

// DemoPipeline is a pipeline of the demo catalog: the product it builds
// ("domain/slug") and what its owners wrote.
type DemoPipeline struct {
	Product string
	Spec    PipelineSpec
}

type demoPipelineDef struct {
	product, port string
	schedule      string // manual, upstream, or a cron expression
	inputs        []PipelineInputSpec
	sql           string
}

// fromLanding is an input over landing files of the product's own domain.
func fromLanding(name, glob string) PipelineInputSpec {
	return PipelineInputSpec{Name: name, Landing: glob}
}

// fromPort is an input over another product's port, named as SQL sees it by
// default (UpstreamViewName).
func fromPort(ref string) PipelineInputSpec { return PipelineInputSpec{Upstream: ref} }

// DemoPipelines lists the demo catalog's pipelines, upstream products first.
func DemoPipelines() []DemoPipeline {
	ports := map[string]int{}
	for _, dp := range demoProducts {
		ports[dp.domain+"/"+dp.in.Slug] = len(dp.in.OutputPorts)
	}
	out := make([]DemoPipeline, 0, len(demoPipelineDefs))
	for _, d := range demoPipelineDefs {
		spec := PipelineSpec{Port: d.port, SQL: strings.TrimSpace(d.sql), Schedule: d.schedule}
		if d.schedule != ScheduleManual && d.schedule != ScheduleUpstream {
			spec.Schedule, spec.Cron = ScheduleCron, d.schedule
		}
		for _, in := range d.inputs {
			if in.Upstream != "" && in.Name == "" {
				p := strings.Split(in.Upstream, "/")
				in.Name = UpstreamViewName(p[0], p[1], p[2], ports[p[0]+"/"+p[1]])
			}
			spec.Inputs = append(spec.Inputs, in)
		}
		out = append(out, DemoPipeline{Product: d.product, Spec: spec})
	}
	return out
}

// DemoLandingGlobs lists the landing globs the demo products declare, as
// "domain/glob", for the lake's demo generator to be checked against.
func DemoLandingGlobs() []string {
	var out []string
	for _, dp := range demoProducts {
		for _, in := range dp.in.InputPorts {
			if in.Landing != "" {
				out = append(out, dp.domain+"/"+in.Landing)
			}
		}
	}
	return out
}

var demoPipelineDefs = []demoPipelineDef{
	// Finance reference data.
	{"finance/fiscal-calendar", "daily", "0 4 * * 0", []PipelineInputSpec{
		fromLanding("periods", "erp/calendar/fiscal-periods*.csv"),
		fromLanding("holidays", "erp/calendar/public-holidays*.csv"),
	}, `
-- One row per date: the ERP's 4-4-5 periods expanded to days, with the public holidays of both countries.
-- Refreshed weekly, so a period closed in the ERP shows as closed by Monday.
WITH days AS (
    SELECT p.fiscal_year, p.period_no, p.period_code, p.start_date, p.end_date, p.status,
           CAST(unnest(generate_series(p.start_date, p.end_date, INTERVAL 1 DAY)) AS DATE) AS calendar_date
    FROM periods p
), years AS (
    SELECT fiscal_year, min(start_date) AS year_start FROM periods GROUP BY fiscal_year
), holiday_countries AS (
    SELECT holiday_date, holiday_name, string_agg(country_code, ', ' ORDER BY country_code) AS countries
    FROM holidays GROUP BY holiday_date, holiday_name
), holiday AS (
    SELECT holiday_date,
           string_agg(holiday_name || ' (' || countries || ')', '; ' ORDER BY holiday_name) AS holiday_name,
           -- every store closes on Christmas Day and Easter Sunday
           bool_or(holiday_name IN ('Christmas Day', 'Easter Sunday')) AS stores_closed
    FROM holiday_countries GROUP BY holiday_date
)
SELECT d.calendar_date,
       CAST(d.fiscal_year AS VARCHAR) AS fiscal_year,
       d.fiscal_year || '-Q' || ((d.period_no - 1) // 3 + 1) AS fiscal_quarter,
       CAST(d.period_code AS VARCHAR) AS fiscal_period,
       CAST((d.calendar_date - y.year_start) // 7 + 1 AS INTEGER) AS fiscal_week,
       CAST(d.start_date AS DATE) AS period_start_date,
       CAST(d.end_date AS DATE) AS period_end_date,
       d.status = 'CLOSED' AS is_period_closed,
       NOT coalesce(h.stores_closed, false) AS is_trading_day,
       h.holiday_name
FROM days d
JOIN years y USING (fiscal_year)
LEFT JOIN holiday h ON h.holiday_date = d.calendar_date
ORDER BY d.calendar_date`},

	{"finance/cost-centres", "current", "0 2 * * *", []PipelineInputSpec{
		fromLanding("cost_centres", "erp/cost-centres/*.csv"),
	}, `
-- The ERP's cost-centre master: open rows end on 9999-12-31 there, and its type codes are spelled out.
SELECT DISTINCT
       CAST(cost_centre AS VARCHAR) AS cost_centre_code,
       CAST(valid_from AS DATE) AS valid_from,
       CAST(nullif(valid_to, DATE '9999-12-31') AS DATE) AS valid_to,
       CAST(name AS VARCHAR) AS cost_centre_name,
       CAST(parent AS VARCHAR) AS parent_code,
       CAST(level AS INTEGER) AS level,
       CASE cc_type WHEN 'STR' THEN 'store' WHEN 'DC' THEN 'distribution' ELSE 'head_office' END AS cost_centre_type,
       CAST(store AS VARCHAR) AS store_id,
       CAST(manager AS VARCHAR) AS manager_name,
       active = 'Y' AS is_active
FROM cost_centres
ORDER BY cost_centre_code, valid_from`},

	{"finance/general-ledger", "daily", "0 3 * * *", []PipelineInputSpec{
		fromLanding("journal_lines", "erp/gl/*.csv"),
		fromPort("finance/fiscal-calendar/daily"),
	}, `
-- Posted journal lines, already in euros in the ERP extract; the fiscal period comes from the calendar.
-- Store cost centres (CC-ST042) name their store.
SELECT CAST(j.journal_id AS VARCHAR) AS journal_id,
       CAST(j.line_no AS INTEGER) AS line_number,
       CAST(j.posting_date AS DATE) AS posting_date,
       c.fiscal_period,
       CAST(j.account AS VARCHAR) AS account_code,
       CAST(j.account_name AS VARCHAR) AS account_name,
       CAST(j.cost_centre AS VARCHAR) AS cost_centre_code,
       CASE WHEN j.cost_centre LIKE 'CC-ST%' THEN substr(j.cost_centre, 4) END AS store_id,
       CAST(j.debit_eur AS DECIMAL(18,2)) AS debit_amount,
       CAST(j.credit_eur AS DECIMAL(18,2)) AS credit_amount,
       CAST(j.original_currency AS VARCHAR) AS original_currency,
       CAST(j.source_system AS VARCHAR) AS source_system,
       CAST(j.description AS VARCHAR) AS line_description,
       j.closing_flag = 'Y' AS is_closing_entry
FROM journal_lines j
JOIN finance.fiscal_calendar c ON c.calendar_date = CAST(j.posting_date AS DATE)
ORDER BY posting_date, journal_id, line_number`},

	// Supply chain.
	{"supply-chain/product-catalogue", "current", "0 4 * * *", []PipelineInputSpec{
		fromLanding("items", "plm/items-*.json"),
		fromLanding("price_book", "pricing/pricebook-*.csv"),
	}, `
-- The PLM's nightly item export, with the euro list price in force today.
WITH price AS (
    SELECT CAST(sku AS VARCHAR) AS sku, arg_max(price, valid_from) AS list_price
    FROM price_book
    WHERE currency = 'EUR' AND valid_from <= current_date
    GROUP BY 1
)
SELECT CAST(i.sku AS VARCHAR) AS sku,
       CAST(i.style.code AS VARCHAR) AS style_code,
       i.style.name || ' - ' || i.variant.colour || coalesce(', ' || i.variant.size, '') AS sku_name,
       CAST(i.style.brand AS VARCHAR) AS brand,
       CAST(i.hierarchy.department AS VARCHAR) AS department,
       CAST(i.hierarchy.category AS VARCHAR) AS category,
       CAST(i.hierarchy.subcategory AS VARCHAR) AS subcategory,
       CAST(i.variant.colour AS VARCHAR) AS colour,
       CAST(i.variant.size AS VARCHAR) AS size,
       CAST(p.list_price AS DECIMAL(18,2)) AS list_price,
       CAST(i.style.season AS VARCHAR) AS season_code,
       CAST(i.launch_date AS DATE) AS launch_date,
       i.lifecycle = 'active' AS is_active
FROM items i
JOIN price p ON p.sku = CAST(i.sku AS VARCHAR)
ORDER BY sku`},

	{"supply-chain/suppliers", "current", "0 5 * * 1", []PipelineInputSpec{
		fromLanding("vendors", "erp/vendors/*.csv"),
	}, `
-- The ERP's vendor master. The sourcing team's audit tracker (sourcing/audits-*.xlsx) is mirrored into the
-- vendor master's last_audit_* fields, which is what this reads: Plaza reads CSV, JSON and Parquet, not Excel.
SELECT CAST(vendor_id AS VARCHAR) AS supplier_id,
       CAST(vendor_name AS VARCHAR) AS supplier_name,
       CAST(country AS VARCHAR) AS country_code,
       CAST(category_focus AS VARCHAR) AS category_focus,
       CAST(regexp_extract(payment_terms, '(\d+)', 1) AS INTEGER) AS payment_terms_days,
       CAST(incoterm AS VARCHAR) AS incoterm,
       CAST(lead_time_days AS INTEGER) AS lead_time_days,
       preferred = 'Y' AS is_preferred,
       CAST(last_audit_result AS VARCHAR) AS ethical_audit_status,
       CAST(last_audit_date AS DATE) AS ethical_audit_date,
       CAST(contact_name AS VARCHAR) AS contact_name,
       CAST(contact_email AS VARCHAR) AS contact_email,
       CAST(contact_phone AS VARCHAR) AS contact_phone
FROM vendors
ORDER BY supplier_id`},

	{"supply-chain/purchase-orders", "headers", "0 */6 * * *", []PipelineInputSpec{
		fromLanding("po_lines", "erp/purchase-orders/*.csv"),
		fromPort("supply-chain/suppliers/current"),
	}, `
-- One row per purchase order from the ERP's line extract; landed cost is the supplier's price in euros
-- plus freight and duty. Orders without an Incoterm take the supplier's default.
WITH l AS (
    SELECT *, round(fob_unit_cost * fx_to_eur * (1 + freight_pct + duty_pct), 2) AS unit_landed_cost
    FROM po_lines
)
SELECT CAST(l.po_number AS VARCHAR) AS po_number,
       CAST(l.supplier_id AS VARCHAR) AS supplier_id,
       CAST(l.warehouse_id AS VARCHAR) AS destination_warehouse_id,
       CAST(l.ordered_on AS DATE) AS ordered_on,
       CAST(l.expected_on AS DATE) AS expected_on,
       CASE l.po_status WHEN 'OPEN' THEN 'open' WHEN 'PART' THEN 'partially_received' WHEN 'RECV' THEN 'received'
            WHEN 'CANC' THEN 'cancelled' END AS po_status,
       CAST(sum(l.ordered_qty * l.unit_landed_cost) AS DECIMAL(18,2)) AS total_landed_cost,
       CAST(coalesce(l.incoterm, any_value(s.incoterm)) AS VARCHAR) AS incoterm
FROM l
LEFT JOIN supply_chain.suppliers s USING (supplier_id)
GROUP BY l.po_number, l.supplier_id, l.warehouse_id, l.ordered_on, l.expected_on, l.po_status, l.incoterm
ORDER BY po_number`},

	{"supply-chain/purchase-orders", "lines", "0 */6 * * *", []PipelineInputSpec{
		fromLanding("po_lines", "erp/purchase-orders/*.csv"),
		fromPort("supply-chain/suppliers/current"),
	}, `
-- One row per SKU ordered, from suppliers Northwind knows; landed cost in euros, freight and duty included.
SELECT CAST(l.po_number AS VARCHAR) AS po_number,
       CAST(l.line_no AS INTEGER) AS line_number,
       CAST(l.sku AS VARCHAR) AS sku,
       CAST(l.ordered_qty AS INTEGER) AS ordered_units,
       CAST(l.received_qty AS INTEGER) AS received_units,
       CAST(round(l.fob_unit_cost * l.fx_to_eur * (1 + l.freight_pct + l.duty_pct), 2) AS DECIMAL(18,2)) AS unit_landed_cost,
       CAST(l.last_receipt_date AS DATE) AS last_received_on
FROM po_lines l
SEMI JOIN supply_chain.suppliers s ON s.supplier_id = l.supplier_id
ORDER BY po_number, line_number`},

	{"supply-chain/stock-movements", "events", "15 * * * *", []PipelineInputSpec{
		fromLanding("wms", "wms/movements/*.json"),
		fromLanding("tills", "pos/stock/*.csv"),
	}, `
-- The warehouse system's events, and the tills' stock changes, whose signed quantities say the direction.
SELECT CAST(movement_id AS VARCHAR) AS movement_id,
       CAST(event_time AS TIMESTAMP) AS movement_ts,
       CAST(sku AS VARCHAR) AS sku,
       CAST(from_location AS VARCHAR) AS from_location_id,
       CAST(to_location AS VARCHAR) AS to_location_id,
       CASE event_type WHEN 'GOODS_RECEIPT' THEN 'receipt' WHEN 'DISPATCH' THEN 'sale' ELSE lower(event_type) END AS movement_type,
       CAST(quantity AS INTEGER) AS quantity,
       CAST(unit_cost_eur AS DECIMAL(18,2)) AS unit_cost,
       CAST(reference AS VARCHAR) AS reference_id,
       CASE WHEN event_type IN ('ADJUSTMENT', 'WRITE_OFF') THEN CAST(reason AS VARCHAR) END AS reason_code
FROM wms
UNION ALL
SELECT CAST(movement_ref AS VARCHAR),
       CAST(occurred_at AS TIMESTAMP),
       CAST(sku AS VARCHAR),
       CASE WHEN qty_delta < 0 THEN CAST(store_id AS VARCHAR) END,
       CASE WHEN qty_delta > 0 THEN CAST(store_id AS VARCHAR) END,
       CASE type_code WHEN 'SALE' THEN 'sale' WHEN 'RETURN' THEN 'return' WHEN 'WRITE_OFF' THEN 'write_off' ELSE 'adjustment' END,
       CAST(abs(qty_delta) AS INTEGER),
       CAST(cost_price AS DECIMAL(18,2)),
       CAST(reference AS VARCHAR),
       CAST(reason_code AS VARCHAR)
FROM tills
ORDER BY movement_ts, movement_id`},

	{"supply-chain/stock-levels", "daily", "30 5 * * *", []PipelineInputSpec{
		fromLanding("legacy_stock", "legacy-wms/stock_*.csv"),
	}, `
-- The old warehouse system's nightly file: semicolons, upper-case headers, dates as YYYYMMDD.
SELECT CAST(strptime(CAST(STOCK_DATE AS VARCHAR), '%Y%m%d') AS DATE) AS stock_date,
       CAST(STORE AS VARCHAR) AS store_id,
       CAST(SKU AS VARCHAR) AS sku,
       CAST(QTY AS INTEGER) AS on_hand_units,
       CAST(MIN_QTY AS INTEGER) AS min_stock_units,
       QTY = 0 AS is_out_of_stock
FROM legacy_stock
ORDER BY stock_date, store_id, sku`},

	{"supply-chain/inventory-snapshots", "daily", ScheduleUpstream, []PipelineInputSpec{
		fromPort("supply-chain/stock-movements/events"),
		fromPort("supply-chain/purchase-orders/lines"),
		fromPort("supply-chain/purchase-orders/headers"),
		fromLanding("counts", "wms/counts/*.csv"),
	}, `
-- End-of-day stock: the latest count, plus every movement since, per day, location and SKU.
WITH opening AS (
    SELECT CAST(location_id AS VARCHAR) AS location_id, CAST(sku AS VARCHAR) AS sku,
           counted_units AS on_hand, reserved_units AS reserved, CAST(count_date AS DATE) AS count_date
    FROM counts
    QUALIFY count_date = max(count_date) OVER ()
), counted AS (
    SELECT max(count_date) AS count_date FROM opening
), days AS (
    SELECT CAST(unnest(generate_series(c.count_date + 1, CAST(max(m.movement_ts) AS DATE), INTERVAL 1 DAY)) AS DATE) AS snapshot_date
    FROM supply_chain.stock_movements m, counted c
    GROUP BY c.count_date
), moves AS (
    SELECT location_id, sku, CAST(movement_ts AS DATE) AS day, sum(delta) AS delta
    FROM (SELECT to_location_id AS location_id, sku, movement_ts, quantity AS delta
          FROM supply_chain.stock_movements WHERE to_location_id IS NOT NULL
          UNION ALL
          SELECT from_location_id, sku, movement_ts, -quantity
          FROM supply_chain.stock_movements WHERE from_location_id IS NOT NULL)
    WHERE CAST(movement_ts AS DATE) > (SELECT count_date FROM counted)
    GROUP BY ALL
), positions AS (
    SELECT d.snapshot_date, p.location_id, p.sku,
           coalesce(o.on_hand, 0) + sum(coalesce(m.delta, 0)) OVER (PARTITION BY p.location_id, p.sku ORDER BY d.snapshot_date) AS on_hand,
           coalesce(o.reserved, 0) AS reserved
    FROM (SELECT location_id, sku FROM opening UNION SELECT location_id, sku FROM moves) p
    CROSS JOIN days d
    LEFT JOIN opening o USING (location_id, sku)
    LEFT JOIN moves m ON m.location_id = p.location_id AND m.sku = p.sku AND m.day = d.snapshot_date
), cost AS (
    -- weighted average landed cost of what was received; SKUs with nothing received yet take the movements' cost
    SELECT sku, sum(received_units * unit_landed_cost) / nullif(sum(received_units), 0) AS unit_cost
    FROM supply_chain.purchase_orders_lines GROUP BY sku
), moved_cost AS (
    SELECT sku, avg(unit_cost) AS unit_cost FROM supply_chain.stock_movements GROUP BY sku
), transit AS (
    SELECT h.destination_warehouse_id AS location_id, l.sku, h.ordered_on, l.ordered_units - l.received_units AS units
    FROM supply_chain.purchase_orders_lines l JOIN supply_chain.purchase_orders_headers h USING (po_number)
    WHERE h.po_status IN ('open', 'partially_received')
), sales AS (
    SELECT from_location_id AS location_id, sku, sum(quantity) / (SELECT count(*) FROM days) AS per_day
    FROM supply_chain.stock_movements
    WHERE movement_type = 'sale' AND movement_ts >= (SELECT max(snapshot_date) FROM days) - INTERVAL 27 DAY
    GROUP BY ALL
), snapshot AS (
    SELECT p.snapshot_date, p.location_id, p.sku, p.on_hand, p.reserved,
           coalesce((SELECT sum(t.units) FROM transit t
                     WHERE t.location_id = p.location_id AND t.sku = p.sku AND t.ordered_on <= p.snapshot_date), 0) AS in_transit,
           coalesce(c.unit_cost, mc.unit_cost) AS unit_cost, s.per_day
    FROM positions p
    LEFT JOIN cost c USING (sku)
    LEFT JOIN moved_cost mc USING (sku)
    LEFT JOIN sales s USING (location_id, sku)
)
SELECT snapshot_date,
       location_id,
       sku,
       CASE WHEN location_id LIKE 'WH%' THEN 'warehouse' ELSE 'store' END AS location_type,
       CASE WHEN location_id NOT LIKE 'WH%' THEN location_id END AS store_id,
       CASE WHEN location_id LIKE 'WH%' THEN location_id END AS warehouse_id,
       CAST(on_hand AS INTEGER) AS on_hand_units,
       CAST(in_transit AS INTEGER) AS in_transit_units,
       CAST(reserved AS INTEGER) AS reserved_units,
       CAST(on_hand - reserved AS INTEGER) AS available_units,
       CAST(unit_cost AS DECIMAL(18,2)) AS unit_cost,
       CAST((on_hand + in_transit) * unit_cost AS DECIMAL(18,2)) AS stock_value,
       CAST((on_hand - reserved) / nullif(per_day, 0) AS DECIMAL(18,1)) AS days_of_cover
FROM snapshot
WHERE on_hand <> 0 OR in_transit <> 0 OR reserved <> 0
ORDER BY snapshot_date, location_id, sku`},

	// Sales: the order stream first.
	{"sales/orders", "daily", "*/30 * * * *", []PipelineInputSpec{
		fromLanding("tills", "pos/orders-*.csv"),
		fromLanding("webshop", "webshop/orders/*.json"),
		fromLanding("marketplaces", "marketplaces/*/orders-*.csv"),
	}, `
-- Till receipts (in the store's currency, with the day's rate), web and app orders (nested JSON) and the
-- partner marketplaces' daily files, in euros.
WITH tills_eur AS (
    SELECT *, CAST(round(gross * eur_rate, 2) AS DECIMAL(18,2)) AS gross_eur,
              CAST(round(discount * eur_rate, 2) AS DECIMAL(18,2)) AS discount_eur,
              CAST(round(tax * eur_rate, 2) AS DECIMAL(18,2)) AS tax_eur
    FROM tills
), web_eur AS (
    SELECT *, CAST(round(totals.gross * fx_rate_eur, 2) AS DECIMAL(18,2)) AS gross_eur,
              CAST(round(totals.discount * fx_rate_eur, 2) AS DECIMAL(18,2)) AS discount_eur,
              CAST(round(totals.tax * fx_rate_eur, 2) AS DECIMAL(18,2)) AS tax_eur
    FROM webshop
)
SELECT CAST(receipt_id AS VARCHAR) AS order_id,
       CAST(customer_id AS VARCHAR) AS customer_id,
       CAST(store_id AS VARCHAR) AS store_id,
       'store' AS channel,
       CAST(receipt_ts AS TIMESTAMP) AS order_ts,
       CAST(receipt_ts AS DATE) AS order_date,
       lower(status) AS order_status,
       CAST(currency AS VARCHAR) AS currency,
       gross_eur AS gross_amount,
       discount_eur AS discount_amount,
       tax_eur AS tax_amount,
       CAST(gross_eur - tax_eur AS DECIMAL(18,2)) AS net_amount,
       CAST(items AS INTEGER) AS item_count,
       CASE tender WHEN 'CARD' THEN 'card' WHEN 'CASH' THEN 'cash' WHEN 'GIFT' THEN 'gift_card' ELSE 'mixed' END AS payment_method,
       loyalty_card = 'Y' AS loyalty_card_used,
       CAST(voucher_code AS VARCHAR) AS campaign_id
FROM tills_eur
UNION ALL
SELECT CAST(order_id AS VARCHAR), CAST(customer_id AS VARCHAR), CAST(collect_store_id AS VARCHAR), CAST(channel AS VARCHAR),
       CAST(placed_at AS TIMESTAMP), CAST(placed_at AS DATE), CAST(status AS VARCHAR), CAST(currency AS VARCHAR),
       gross_eur, discount_eur, tax_eur, CAST(gross_eur - tax_eur AS DECIMAL(18,2)), CAST(item_count AS INTEGER),
       CAST(payment.method AS VARCHAR), CAST(loyalty_member AS BOOLEAN), CAST(voucher_code AS VARCHAR)
FROM web_eur
UNION ALL
-- marketplace orders carry no customer: the partner is the merchant of record and takes the payment
SELECT CAST(northwind_order_id AS VARCHAR), NULL, NULL, 'marketplace', CAST(ordered_at AS TIMESTAMP), CAST(ordered_at AS DATE),
       'fulfilled', CAST(currency AS VARCHAR), CAST(amount_incl_vat AS DECIMAL(18,2)), CAST(0 AS DECIMAL(18,2)),
       CAST(vat_amount AS DECIMAL(18,2)), CAST(amount_incl_vat - vat_amount AS DECIMAL(18,2)), CAST(units AS INTEGER),
       'card', false, NULL
FROM marketplaces
ORDER BY order_date, order_id`},

	{"sales/orders", "events", "*/30 * * * *", []PipelineInputSpec{
		fromLanding("tills", "pos/orders-*.csv"),
		fromLanding("webshop", "webshop/orders/*.json"),
		fromLanding("marketplaces", "marketplaces/*/orders-*.csv"),
	}, `
-- Every status change: the web shop keeps each order's history; a till sale is fulfilled when it is rung up
-- and changes again when goods come back; marketplace orders arrive fulfilled.
WITH web_history AS (
    SELECT order_id, unnest(status_history) AS h, generate_subscripts(status_history, 1) AS seq FROM webshop
), changes AS (
    SELECT CAST(order_id AS VARCHAR) AS order_id, seq, CAST(h.at AS TIMESTAMP) AS event_ts, CAST(h.status AS VARCHAR) AS status_to,
           CAST(h.by AS VARCHAR) AS changed_by
    FROM web_history
    UNION ALL
    SELECT CAST(receipt_id AS VARCHAR), 1, CAST(receipt_ts AS TIMESTAMP), 'fulfilled', 'store_staff' FROM tills
    UNION ALL
    SELECT CAST(receipt_id AS VARCHAR), 2, CAST(status_changed_at AS TIMESTAMP), lower(status), 'store_staff'
    FROM tills WHERE status_changed_at IS NOT NULL
    UNION ALL
    SELECT CAST(northwind_order_id AS VARCHAR), 1, CAST(ordered_at AS TIMESTAMP), 'fulfilled', 'system' FROM marketplaces
)
SELECT order_id || '-' || seq AS event_id,
       order_id,
       event_ts,
       lag(status_to) OVER (PARTITION BY order_id ORDER BY seq) AS status_from,
       status_to,
       changed_by
FROM changes
ORDER BY event_ts, event_id`},

	{"sales/order-lines", "daily", ScheduleUpstream, []PipelineInputSpec{
		fromLanding("till_lines", "pos/lines-*.csv"),
		fromLanding("tills", "pos/orders-*.csv"),
		fromLanding("webshop_lines", "webshop/order-lines/*.json"),
		fromPort("sales/orders/daily"),
	}, `
-- Till lines are in the receipt's currency (its header has the day's rate); web lines are in euros already.
-- Order date and store come from the orders.
WITH lines AS (
    SELECT CAST(l.receipt_id AS VARCHAR) AS order_id,
           CAST(l.line_no AS INTEGER) AS line_number,
           CAST(l.sku AS VARCHAR) AS sku,
           CAST(l.qty AS INTEGER) AS quantity,
           CAST(round(l.unit_price * t.eur_rate, 2) AS DECIMAL(18,2)) AS unit_price,
           CAST(round(l.discount * t.eur_rate, 2) AS DECIMAL(18,2)) AS discount_amount,
           CAST(l.vat_rate AS DECIMAL(5,2)) AS tax_rate,
           l.markdown = 'Y' AS is_markdown
    FROM till_lines l JOIN tills t USING (receipt_id)
    UNION ALL
    SELECT CAST(order_id AS VARCHAR), CAST(line_number AS INTEGER), CAST(sku AS VARCHAR), CAST(quantity AS INTEGER),
           CAST(unit_price_eur AS DECIMAL(18,2)), CAST(discount_eur AS DECIMAL(18,2)), CAST(vat_rate AS DECIMAL(5,2)),
           CAST(markdown AS BOOLEAN)
    FROM webshop_lines
)
SELECT l.order_id,
       l.line_number,
       l.sku,
       o.order_date,
       o.store_id,
       l.quantity,
       l.unit_price,
       l.discount_amount,
       l.tax_rate,
       CAST(round((l.quantity * l.unit_price - l.discount_amount) / (1 + l.tax_rate), 2) AS DECIMAL(18,2)) AS line_net_amount,
       l.is_markdown
FROM lines l
JOIN sales.orders_daily o USING (order_id)
ORDER BY o.order_date, l.order_id, l.line_number`},

	{"sales/returns", "daily", ScheduleUpstream, []PipelineInputSpec{
		fromLanding("till_returns", "pos/returns-*.csv"),
		fromLanding("postal_returns", "wms/returns/*.json"),
		fromPort("sales/order-lines/daily"),
	}, `
-- Returns at the tills (short reason codes, refunds in the store's currency) and postal returns graded at
-- the warehouse (A resellable, B damaged, C faulty), matched to the order line they return.
WITH r AS (
    SELECT CAST(return_id AS VARCHAR) AS return_id,
           CAST(original_order AS VARCHAR) AS order_id,
           CAST(original_line AS INTEGER) AS line_number,
           CAST(store_id AS VARCHAR) AS return_store_id,
           CAST(returned_at AS TIMESTAMP) AS return_ts,
           CAST(qty AS INTEGER) AS quantity,
           CASE reason WHEN 'SIZE_S' THEN 'too_small' WHEN 'SIZE_L' THEN 'too_large' WHEN 'NAD' THEN 'not_as_described'
                WHEN 'FAULTY' THEN 'faulty' WHEN 'CHANGED_MIND' THEN 'changed_mind' ELSE 'other' END AS reason_code,
           CAST(grade AS VARCHAR) AS grade,
           CAST(round(refund * eur_rate, 2) AS DECIMAL(18,2)) AS refund_amount,
           CAST(refund_method AS VARCHAR) AS refund_method
    FROM till_returns
    UNION ALL
    SELECT CAST(rma_id AS VARCHAR), CAST(order_id AS VARCHAR), CAST(line_number AS INTEGER), NULL, CAST(received_at AS TIMESTAMP),
           CAST(quantity AS INTEGER), CAST(reason AS VARCHAR), CAST(grade AS VARCHAR), CAST(refund_amount_eur AS DECIMAL(18,2)),
           CAST(refund_method AS VARCHAR)
    FROM postal_returns
)
SELECT r.return_id,
       r.order_id,
       r.line_number,
       l.sku,
       r.return_store_id,
       r.return_ts,
       CAST(r.return_ts AS DATE) AS return_date,
       r.quantity,
       r.reason_code,
       CASE r.grade WHEN 'A' THEN 'resellable' WHEN 'B' THEN 'damaged' ELSE 'faulty' END AS item_condition,
       r.refund_amount,
       r.refund_method
FROM r
JOIN sales.order_lines l USING (order_id, line_number)
ORDER BY return_ts, return_id`},

	{"sales/daily-store-sales-v1", "daily", "0 6 * * *", []PipelineInputSpec{
		fromPort("sales/orders/daily"),
	}, `
-- The original report: store orders only, gross, by calendar month. Kept until the end of the fiscal year.
SELECT order_date AS sales_date,
       store_id,
       CAST(count(*) AS INTEGER) AS orders_count,
       CAST(sum(item_count) AS INTEGER) AS units_sold,
       CAST(sum(gross_amount) AS DECIMAL(18,2)) AS gross_sales,
       strftime(order_date, '%Y-%m') AS sales_month
FROM sales.orders_daily
WHERE channel = 'store' AND order_status <> 'cancelled'
GROUP BY order_date, store_id
ORDER BY sales_date, store_id`},

	{"sales/daily-store-sales", "daily", "30 6 * * *", []PipelineInputSpec{
		fromPort("sales/orders/daily"),
		fromPort("sales/order-lines/daily"),
		fromPort("sales/returns/daily"),
		fromPort("supply-chain/inventory-snapshots/daily"),
		fromPort("finance/fiscal-calendar/daily"),
		fromLanding("footfall", "footfall/counters-*.csv"),
	}, `
-- Per day, store and channel (no store for web and app orders delivered home). Cost of goods sold uses the
-- weighted average cost in the latest inventory snapshot; SKUs stocked nowhere today fall back to 40% of
-- the net price, and marketplace orders, which carry no lines, to 45% of their net value.
WITH cost AS (
    SELECT sku, avg(unit_cost) AS unit_cost
    FROM supply_chain.inventory_snapshots
    WHERE snapshot_date = (SELECT max(snapshot_date) FROM supply_chain.inventory_snapshots)
    GROUP BY sku
), facts AS (
    SELECT order_date AS sales_date, store_id, channel, 1 AS orders, item_count AS units, gross_amount AS gross,
           net_amount AS net, 0 AS refunds, 0 AS refunds_net,
           CASE WHEN channel = 'marketplace' THEN net_amount * 0.45 ELSE 0 END AS cogs
    FROM sales.orders_daily WHERE order_status <> 'cancelled'
    UNION ALL
    SELECT l.order_date, l.store_id, o.channel, 0, 0, 0, 0, 0, 0,
           l.quantity * coalesce(c.unit_cost, l.unit_price / (1 + l.tax_rate) * 0.4)
    FROM sales.order_lines l
    JOIN sales.orders_daily o USING (order_id)
    LEFT JOIN cost c USING (sku)
    WHERE o.order_status <> 'cancelled'
    UNION ALL
    SELECT r.return_date, r.return_store_id, o.channel, 0, 0, 0, 0, r.refund_amount, r.refund_amount / (1 + l.tax_rate), 0
    FROM sales.returns r
    JOIN sales.order_lines l USING (order_id, line_number)
    JOIN sales.orders_daily o USING (order_id)
), daily AS (
    SELECT sales_date, store_id, channel, sum(orders) AS orders, sum(units) AS units, sum(gross) AS gross,
           sum(net) - sum(refunds_net) AS net, sum(refunds) AS refunds, sum(cogs) AS cogs
    FROM facts GROUP BY ALL
)
SELECT d.sales_date,
       d.store_id,
       d.channel,
       c.fiscal_period,
       CAST(d.orders AS INTEGER) AS orders_count,
       CAST(d.units AS INTEGER) AS units_sold,
       CAST(d.gross AS DECIMAL(18,2)) AS gross_revenue,
       CAST(d.net AS DECIMAL(18,2)) AS net_revenue,
       CAST(d.refunds AS DECIMAL(18,2)) AS returns_amount,
       CAST(d.cogs AS DECIMAL(18,2)) AS cost_of_goods_sold,
       CAST(d.net - d.cogs AS DECIMAL(18,2)) AS gross_margin,
       CAST(d.gross / nullif(d.orders, 0) AS DECIMAL(18,2)) AS avg_basket_value,
       CASE WHEN d.channel = 'store' THEN CAST(f.visitors AS INTEGER) END AS footfall
FROM daily d
JOIN finance.fiscal_calendar c ON c.calendar_date = d.sales_date
LEFT JOIN footfall f ON f.store_id = d.store_id AND f.count_date = d.sales_date
ORDER BY d.sales_date, d.store_id NULLS FIRST, d.channel`},

	{"sales/revenue-by-channel", "daily", ScheduleUpstream, []PipelineInputSpec{
		fromPort("sales/orders/daily"),
		fromPort("sales/returns/daily"),
		fromPort("sales/daily-store-sales/daily"),
		fromPort("finance/general-ledger/daily"),
		fromPort("finance/fiscal-calendar/daily"),
	}, `
-- The channel split from the order data, reconciled per fiscal period to the ledger's sales accounts
-- (4000 stores, 4010 web, 4020 app, 4030 marketplaces) on the days the ledger has posted. The difference is
-- spread over those days in reconciliation_adjustment, not hidden.
WITH daily AS (
    SELECT sales_date AS revenue_date, channel, any_value(fiscal_period) AS fiscal_period,
           sum(orders_count) AS orders_count, sum(gross_revenue) AS gross_revenue, sum(net_revenue) AS net_revenue,
           sum(gross_margin) AS gross_margin
    FROM sales.daily_store_sales GROUP BY ALL
), refunds AS (
    SELECT r.return_date AS revenue_date, o.channel, sum(r.refund_amount) AS returns_amount
    FROM sales.returns r JOIN sales.orders_daily o USING (order_id) GROUP BY ALL
), posted AS (
    SELECT max(posting_date) AS last_posted FROM finance.general_ledger
), ledger AS (
    SELECT fiscal_period,
           CASE account_code WHEN '4000' THEN 'store' WHEN '4010' THEN 'web' WHEN '4020' THEN 'app' ELSE 'marketplace' END AS channel,
           sum(credit_amount - debit_amount) AS ledger_revenue
    FROM finance.general_ledger WHERE account_code IN ('4000', '4010', '4020', '4030') GROUP BY ALL
), orders AS (
    SELECT c.fiscal_period, o.channel, sum(o.net_amount) AS order_revenue, count(DISTINCT o.order_date) AS days
    FROM sales.orders_daily o
    JOIN finance.fiscal_calendar c ON c.calendar_date = o.order_date
    WHERE o.order_status <> 'cancelled' AND o.order_date <= (SELECT last_posted FROM posted)
    GROUP BY ALL
), adjustment AS (
    SELECT fiscal_period, channel, (l.ledger_revenue - o.order_revenue) / o.days AS per_day
    FROM orders o JOIN ledger l USING (fiscal_period, channel)
), adjusted AS (
    SELECT d.*, c.is_period_closed, coalesce(r.returns_amount, 0) AS returns_amount,
           CASE WHEN d.revenue_date <= p.last_posted THEN coalesce(a.per_day, 0) ELSE 0 END AS adjust
    FROM daily d
    JOIN finance.fiscal_calendar c ON c.calendar_date = d.revenue_date
    CROSS JOIN posted p
    LEFT JOIN refunds r ON r.revenue_date = d.revenue_date AND r.channel = d.channel
    LEFT JOIN adjustment a ON a.fiscal_period = d.fiscal_period AND a.channel = d.channel
)
SELECT revenue_date,
       channel,
       fiscal_period,
       CAST(orders_count AS INTEGER) AS orders_count,
       CAST(gross_revenue AS DECIMAL(18,2)) AS gross_revenue,
       CAST(net_revenue + adjust AS DECIMAL(18,2)) AS net_revenue,
       CAST(returns_amount AS DECIMAL(18,2)) AS returns_amount,
       CAST(gross_margin + adjust AS DECIMAL(18,2)) AS gross_margin,
       CAST(adjust AS DECIMAL(18,2)) AS reconciliation_adjustment,
       NOT is_period_closed AS is_provisional
FROM adjusted
ORDER BY revenue_date, channel`},

	// Supply chain: deliveries, after the orders they carry.
	{"supply-chain/shipments", "current", "0 * * * *", []PipelineInputSpec{
		fromLanding("dispatch", "wms/dispatch/*.csv"),
		fromLanding("tracking", "carriers/*/tracking-*.json"),
		fromPort("sales/orders/daily"),
	}, `
-- Dispatch confirmations from the warehouses with the carriers' latest delivery scan. Home deliveries keep
-- their order only when sales/orders knows it. Purchase orders come from the dispatch file: the Logistics
-- team has no grant on supply-chain/purchase-orders yet.
WITH delivered AS (
    SELECT CAST(tracking_number AS VARCHAR) AS tracking_number, max(CAST(event_time AS TIMESTAMP)) AS delivered_at
    FROM tracking WHERE event_code = 'DELIVERED'
    GROUP BY 1
)
SELECT CAST(d.shipment_id AS VARCHAR) AS shipment_id,
       CASE d.type_code WHEN 'HD' THEN 'home_delivery' WHEN 'RP' THEN 'replenishment' ELSE 'inbound' END AS shipment_type,
       o.order_id,
       CAST(d.po_number AS VARCHAR) AS po_number,
       CAST(d.warehouse_id AS VARCHAR) AS origin_warehouse_id,
       CAST(d.destination_store_id AS VARCHAR) AS destination_store_id,
       CAST(d.delivery_postcode AS VARCHAR) AS delivery_postcode,
       CAST(d.carrier AS VARCHAR) AS carrier,
       lower(d.service) AS service_level,
       CAST(d.tracking_number AS VARCHAR) AS tracking_number,
       CAST(d.dispatched_at AS TIMESTAMP) AS shipped_at,
       CAST(d.promised_date AS DATE) AS promised_date,
       t.delivered_at,
       CAST(d.parcels AS INTEGER) AS parcels,
       CASE WHEN t.delivered_at IS NOT NULL THEN CAST(t.delivered_at AS DATE) <= CAST(d.promised_date AS DATE) END AS is_on_time
FROM dispatch d
LEFT JOIN delivered t ON t.tracking_number = CAST(d.tracking_number AS VARCHAR)
LEFT JOIN sales.orders_daily o ON o.order_id = CAST(d.order_id AS VARCHAR)
ORDER BY shipped_at, shipment_id`},

	// Customer.
	{"customer/customer-consent", "current", "5 * * * *", []PipelineInputSpec{
		fromLanding("online", "consent/events-*.json"),
		fromLanding("tills", "pos/consent-*.csv"),
	}, `
-- The latest decision per customer and purpose, from the web shop, app and preference centre and the tills.
WITH decisions AS (
    SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(purpose AS VARCHAR) AS purpose, CAST(granted AS BOOLEAN) AS is_granted,
           CAST(decided_at AS TIMESTAMP) AS decided_at, CAST(channel AS VARCHAR) AS source, CAST(policy_version AS VARCHAR) AS policy_version
    FROM online
    UNION ALL
    SELECT CAST(customer_id AS VARCHAR),
           CASE purpose_code WHEN 'EMAIL' THEN 'email_marketing' WHEN 'SMS' THEN 'sms_marketing' WHEN 'PROFILE' THEN 'profiling'
                ELSE 'partner_sharing' END,
           opt_in = 'Y', CAST(captured_at AS TIMESTAMP), 'store', CAST(policy_version AS VARCHAR)
    FROM tills
)
SELECT customer_id,
       purpose,
       arg_max(is_granted, decided_at) AS is_granted,
       max(decided_at) AS decided_at,
       arg_max(source, decided_at) AS source,
       arg_max(policy_version, decided_at) AS policy_version
FROM decisions
GROUP BY customer_id, purpose
ORDER BY customer_id, purpose`},

	{"customer/customer-consent", "events", "5 * * * *", []PipelineInputSpec{
		fromLanding("online", "consent/events-*.json"),
		fromLanding("tills", "pos/consent-*.csv"),
	}, `
-- Every grant and withdrawal. Till captures have no event id of their own: customer, purpose and time make one.
SELECT CAST(event_id AS VARCHAR) AS event_id,
       CAST(customer_id AS VARCHAR) AS customer_id,
       CAST(purpose AS VARCHAR) AS purpose,
       CAST(granted AS BOOLEAN) AS is_granted,
       CAST(decided_at AS TIMESTAMP) AS decided_at,
       CAST(channel AS VARCHAR) AS source,
       CAST(policy_version AS VARCHAR) AS policy_version,
       CAST(ip_address AS VARCHAR) AS ip_address
FROM online
UNION ALL
SELECT 'pos-' || customer_id || '-' || lower(purpose_code) || '-' || strftime(captured_at, '%Y%m%d%H%M%S'),
       CAST(customer_id AS VARCHAR),
       CASE purpose_code WHEN 'EMAIL' THEN 'email_marketing' WHEN 'SMS' THEN 'sms_marketing' WHEN 'PROFILE' THEN 'profiling'
            ELSE 'partner_sharing' END,
       opt_in = 'Y',
       CAST(captured_at AS TIMESTAMP),
       'store',
       CAST(policy_version AS VARCHAR),
       NULL
FROM tills
ORDER BY decided_at, event_id`},

	{"customer/customer-360", "current", "0 1 * * *", []PipelineInputSpec{
		fromLanding("crm", "crm/customers-*.json"),
		fromLanding("accounts", "webshop/accounts/*.json"),
		fromPort("sales/orders/daily"),
		fromPort("customer/customer-consent/current"),
	}, `
-- The CRM's golden record, with the newest email from the web accounts, lifetime figures and home store from
-- the orders, and email contactability from the current consent.
WITH lifetime AS (
    SELECT customer_id, count(*) AS orders, sum(net_amount) AS net_revenue, min(order_date) AS first_order_date,
           max(order_date) AS last_order_date, mode(store_id) AS home_store_id
    FROM sales.orders_daily
    WHERE customer_id IS NOT NULL AND order_status <> 'cancelled'
    GROUP BY customer_id
), account AS (
    SELECT customer_id, arg_max(email, last_login_at) AS email, min(created_at) AS created_at
    FROM accounts GROUP BY customer_id
), email_consent AS (
    SELECT customer_id FROM customer.customer_consent_current WHERE purpose = 'email_marketing' AND is_granted
)
SELECT CAST(c.customer_id AS VARCHAR) AS customer_id,
       CAST(c.name.first AS VARCHAR) AS first_name,
       CAST(c.name.last AS VARCHAR) AS last_name,
       CAST(coalesce(a.email, c.contact.email) AS VARCHAR) AS email,
       CAST(c.contact.phone AS VARCHAR) AS phone,
       CAST(c.birth_date AS DATE) AS birth_date,
       CAST(c.address.street AS VARCHAR) AS street_address,
       CAST(c.address.postcode AS VARCHAR) AS postal_code,
       CAST(c.address.city AS VARCHAR) AS city,
       CAST(c.address.country AS VARCHAR) AS country_code,
       CAST(least(CAST(c.created_at AS DATE), CAST(a.created_at AS DATE), o.first_order_date) AS DATE) AS signup_date,
       CAST(c.source AS VARCHAR) AS signup_channel,
       CAST(coalesce(o.home_store_id, c.preferred_store_id) AS VARCHAR) AS home_store_id,
       CAST(c.loyalty.tier AS VARCHAR) AS loyalty_tier,
       CAST(coalesce(o.orders, 0) AS INTEGER) AS lifetime_orders,
       CAST(coalesce(o.net_revenue, 0) AS DECIMAL(18,2)) AS lifetime_net_revenue,
       o.last_order_date,
       coalesce(a.email, c.contact.email) IS NOT NULL AND e.customer_id IS NOT NULL AS is_email_contactable
FROM crm c
LEFT JOIN account a ON a.customer_id = c.customer_id
LEFT JOIN lifetime o ON o.customer_id = c.customer_id
LEFT JOIN email_consent e ON e.customer_id = c.customer_id
ORDER BY customer_id`},

	{"customer/customer-segments", "weekly", "0 6 * * 1", []PipelineInputSpec{
		fromPort("customer/customer-360/current"),
		fromPort("sales/orders/daily"),
	}, `
-- Recency, frequency and monetary value over the last 24 months, scored 1 to 5 by quintile, and one of eight
-- segments. Customers with no order in the period score 1 on all three.
WITH orders AS (
    SELECT customer_id, max(order_date) AS last_order, count(*) AS frequency, sum(net_amount) AS monetary,
           mode(channel) AS preferred_channel
    FROM sales.orders_daily
    WHERE customer_id IS NOT NULL AND order_status <> 'cancelled' AND order_date >= current_date - INTERVAL 24 MONTH
    GROUP BY customer_id
), scored AS (
    SELECT c.customer_id, c.loyalty_tier, c.signup_channel, o.*,
           CASE WHEN o.customer_id IS NULL THEN 1 ELSE ntile(5) OVER (PARTITION BY o.customer_id IS NULL ORDER BY o.last_order, c.customer_id) END AS r,
           CASE WHEN o.customer_id IS NULL THEN 1 ELSE ntile(5) OVER (PARTITION BY o.customer_id IS NULL ORDER BY o.frequency, c.customer_id) END AS f,
           CASE WHEN o.customer_id IS NULL THEN 1 ELSE ntile(5) OVER (PARTITION BY o.customer_id IS NULL ORDER BY o.monetary, c.customer_id) END AS m,
           percent_rank() OVER (ORDER BY coalesce(o.monetary, 0) DESC, c.customer_id) AS value_rank
    FROM customer.customer_360 c
    LEFT JOIN orders o ON o.customer_id = c.customer_id
)
SELECT customer_id,
       CAST(date_trunc('week', current_date) AS DATE) AS scored_on,
       CASE WHEN r >= 4 AND f >= 4 THEN 'champions'
            WHEN r >= 3 AND f >= 4 THEN 'loyal'
            WHEN r = 5 AND f = 1 THEN 'new'
            WHEN r >= 4 THEN 'potential'
            WHEN r = 1 AND f = 5 THEN 'cant_lose'
            WHEN r <= 2 AND f >= 3 THEN 'at_risk'
            WHEN r = 2 THEN 'hibernating'
            ELSE 'lost' END AS segment_code,
       CAST(r AS INTEGER) AS recency_score,
       CAST(f AS INTEGER) AS frequency_score,
       CAST(m AS INTEGER) AS monetary_score,
       CASE WHEN value_rank < 0.05 THEN 'top 5%' WHEN value_rank < 0.20 THEN 'top 20%' WHEN value_rank < 0.80 THEN 'middle'
            ELSE 'bottom' END AS value_band,
       CAST(coalesce(monetary, 0) AS DECIMAL(18,2)) AS net_revenue_24m,
       loyalty_tier,
       coalesce(preferred_channel, signup_channel) AS preferred_channel
FROM scored
ORDER BY customer_id`},

	{"customer/loyalty-members", "current", "0 2 * * *", []PipelineInputSpec{
		fromLanding("members", "loyalty/members-*.csv"),
	}, `
-- The loyalty platform's nightly export: tiers in capitals, status as a letter.
SELECT CAST(member_id AS VARCHAR) AS member_id,
       CAST(customer_id AS VARCHAR) AS customer_id,
       CAST(card_number AS VARCHAR) AS card_number,
       CASE tier WHEN 'GOLD' THEN 'Gold' WHEN 'SILVER' THEN 'Silver' WHEN 'BRONZE' THEN 'Bronze' END AS loyalty_tier,
       CAST(tier_since AS DATE) AS tier_since,
       CAST(points_balance AS INTEGER) AS points_balance,
       CAST(lifetime_points AS INTEGER) AS lifetime_points,
       CAST(enrolled_at AS TIMESTAMP) AS enrolled_at,
       CAST(enrolment_store AS VARCHAR) AS enrolment_store_id,
       coalesce(CAST(app_last_seen_at AS TIMESTAMP) >= CAST(now() AS TIMESTAMP) - INTERVAL 90 DAY, false) AS uses_app,
       CASE status_code WHEN 'A' THEN 'active' WHEN 'L' THEN 'lapsed' ELSE 'closed' END AS member_status
FROM members
ORDER BY member_id`},

	{"customer/loyalty-transactions", "events", "0 */6 * * *", []PipelineInputSpec{
		fromLanding("points", "loyalty/transactions/*.json"),
		fromPort("customer/loyalty-members/current"),
	}, `
-- The points ledger, with each member's customer and the balance after every transaction, counted back from
-- today's balance.
WITH t AS (
    SELECT CAST(transaction_id AS VARCHAR) AS transaction_id,
           CAST(member_id AS VARCHAR) AS member_id,
           CAST(order_ref AS VARCHAR) AS order_id,
           CAST(store_id AS VARCHAR) AS store_id,
           CAST(occurred_at AS TIMESTAMP) AS transaction_ts,
           lower(type) AS transaction_type,
           CAST(points AS INTEGER) AS points,
           CAST(reason AS VARCHAR) AS reason
    FROM points
)
SELECT t.transaction_id,
       t.member_id,
       m.customer_id,
       t.order_id,
       t.store_id,
       t.transaction_ts,
       t.transaction_type,
       t.points,
       CAST(m.points_balance - sum(t.points) OVER (PARTITION BY t.member_id)
            + sum(t.points) OVER (PARTITION BY t.member_id ORDER BY t.transaction_ts, t.transaction_id ROWS UNBOUNDED PRECEDING)
            AS INTEGER) AS balance_after,
       t.reason
FROM t
JOIN customer.loyalty_members m USING (member_id)
ORDER BY t.transaction_ts, t.transaction_id`},

	{"customer/churn-scores", "weekly", ScheduleManual, []PipelineInputSpec{
		fromPort("customer/customer-segments/weekly"),
	}, `
-- Trial model: a logistic score on the RFM scores of the latest week. Points activity from
-- customer/loyalty-transactions joins the features once the team holds a grant on it.
WITH latest AS (
    SELECT * FROM customer.customer_segments
    WHERE scored_on = (SELECT max(scored_on) FROM customer.customer_segments)
)
SELECT customer_id,
       scored_on,
       CAST(1 / (1 + exp(-(-1.2 + 0.9 * (5 - recency_score) - 0.35 * frequency_score - 0.2 * monetary_score))) AS DECIMAL(6,4))
           AS churn_probability,
       CASE WHEN recency_score <= 2 THEN 'recency' WHEN frequency_score <= 2 THEN 'frequency' ELSE 'monetary' END AS top_driver,
       'rfm-logit-0.2' AS model_version,
       hash(customer_id) % 20 = 0 AS is_holdout
FROM latest
ORDER BY customer_id`},

	// Marketing.
	{"marketing/campaigns", "current", "0 2 * * *", []PipelineInputSpec{
		fromLanding("planner", "campaign-planner/campaigns-*.csv"),
	}, `
-- The campaign planner's export; it separates media with |.
SELECT CAST(campaign_id AS VARCHAR) AS campaign_id,
       CAST(campaign_name AS VARCHAR) AS campaign_name,
       CAST(objective AS VARCHAR) AS objective,
       replace(channels, '|', ',') AS media,
       CAST(start_date AS DATE) AS start_date,
       CAST(end_date AS DATE) AS end_date,
       CAST(budget_eur AS DECIMAL(18,2)) AS budget_amount,
       CAST(target_segment AS VARCHAR) AS target_segment_code,
       CAST(cost_centre AS VARCHAR) AS cost_centre_code,
       CAST(status AS VARCHAR) AS campaign_status
FROM planner
ORDER BY campaign_id`},

	{"marketing/web-sessions", "events", "0 */6 * * *", []PipelineInputSpec{
		fromLanding("events", "clickstream/*/events-*.json.gz"),
	}, `
-- Server-side tracking events grouped into sessions, bots and internal traffic removed. The traffic source
-- comes from the first event's UTM tags, or else its referrer.
WITH sessions AS (
    SELECT session_id,
           any_value(visitor_id) AS visitor_id,
           max(customer_id) AS customer_id,
           min(event_ts) AS started_at,
           max(event_ts) AS ended_at,
           any_value(platform) AS session_channel,
           any_value(device_type) AS device_type,
           any_value(country_code) AS country_code,
           arg_min(utm_medium, event_ts) AS utm_medium,
           arg_min(utm_campaign, event_ts) AS campaign_id,
           arg_min(referrer, event_ts) AS referrer,
           arg_min(page_path, event_ts) AS landing_page,
           count(*) FILTER (WHERE event_name = 'page_view') AS page_views,
           max(order_id) AS order_id
    FROM events
    WHERE user_agent_class <> 'bot' AND NOT internal_ip
    GROUP BY session_id
)
SELECT CAST(session_id AS VARCHAR) AS session_id,
       CAST(visitor_id AS VARCHAR) AS visitor_id,
       CAST(customer_id AS VARCHAR) AS customer_id,
       CAST(started_at AS TIMESTAMP) AS started_at,
       CAST(ended_at AS TIMESTAMP) AS ended_at,
       CAST(session_channel AS VARCHAR) AS session_channel,
       CAST(device_type AS VARCHAR) AS device_type,
       CAST(country_code AS VARCHAR) AS country_code,
       CASE WHEN utm_medium = 'cpc' THEN 'paid_search'
            WHEN utm_medium IN ('paid_social', 'email', 'affiliate') THEN utm_medium
            WHEN referrer LIKE '%google.%' OR referrer LIKE '%bing.com' OR referrer LIKE '%duckduckgo.com' THEN 'organic_search'
            WHEN referrer IS NOT NULL THEN 'referral'
            ELSE 'direct' END AS traffic_source,
       CAST(campaign_id AS VARCHAR) AS campaign_id,
       CAST(landing_page AS VARCHAR) AS landing_page,
       CAST(page_views AS INTEGER) AS page_views,
       page_views = 1 AS is_bounce,
       CAST(order_id AS VARCHAR) AS order_id
FROM sessions
ORDER BY started_at, session_id`},

	{"marketing/campaign-performance", "daily", ScheduleUpstream, []PipelineInputSpec{
		fromPort("marketing/campaigns/current"),
		fromPort("marketing/web-sessions/events"),
		fromPort("sales/orders/daily"),
		fromLanding("spend", "ad-platforms/*/spend-*.csv"),
	}, `
-- Per campaign, medium and day: media spend from the platforms' files, sessions from the campaign's links,
-- orders attributed to the session they were placed in (web and app) or to the voucher used (stores).
WITH spend_daily AS (
    SELECT CAST(campaign AS VARCHAR) AS campaign_id, CAST(date AS DATE) AS performance_date, CAST(medium AS VARCHAR) AS medium,
           sum(impressions) AS impressions, sum(clicks) AS clicks, sum(cost) AS spend
    FROM spend GROUP BY ALL
), session_media AS (
    SELECT *, CASE traffic_source WHEN 'paid_search' THEN 'search' WHEN 'paid_social' THEN 'paid_social' WHEN 'email' THEN 'email'
                   ELSE traffic_source END AS medium
    FROM marketing.web_sessions WHERE campaign_id IS NOT NULL
), sessions_daily AS (
    SELECT campaign_id, CAST(started_at AS DATE) AS performance_date, medium, count(*) AS sessions
    FROM session_media GROUP BY ALL
), first_orders AS (
    SELECT customer_id, min(order_ts) AS first_order_ts FROM sales.orders_daily WHERE customer_id IS NOT NULL GROUP BY ALL
), attributed AS (
    SELECT s.campaign_id, CAST(s.started_at AS DATE) AS performance_date, s.medium, o.order_ts, o.net_amount, o.customer_id
    FROM session_media s JOIN sales.orders_daily o USING (order_id)
    WHERE o.order_status <> 'cancelled'
    UNION ALL
    SELECT campaign_id, order_date, 'in_store', order_ts, net_amount, customer_id
    FROM sales.orders_daily WHERE channel = 'store' AND campaign_id IS NOT NULL
), attributed_daily AS (
    SELECT a.campaign_id, a.performance_date, a.medium, count(*) AS orders, sum(a.net_amount) AS net_revenue,
           count(*) FILTER (WHERE a.order_ts = f.first_order_ts) AS new_customers
    FROM attributed a LEFT JOIN first_orders f USING (customer_id) GROUP BY ALL
), days AS (
    SELECT campaign_id, performance_date, medium FROM spend_daily
    UNION SELECT campaign_id, performance_date, medium FROM sessions_daily
    UNION SELECT campaign_id, performance_date, medium FROM attributed_daily
)
SELECT d.campaign_id,
       d.performance_date,
       d.medium,
       CAST(sp.impressions AS BIGINT) AS impressions,
       CAST(sp.clicks AS BIGINT) AS clicks,
       CAST(coalesce(sp.spend, 0) AS DECIMAL(18,2)) AS spend_amount,
       CAST(coalesce(se.sessions, 0) AS INTEGER) AS sessions,
       CAST(coalesce(ad.orders, 0) AS INTEGER) AS attributed_orders,
       CAST(coalesce(ad.net_revenue, 0) AS DECIMAL(18,2)) AS attributed_net_revenue,
       CAST(coalesce(ad.new_customers, 0) AS INTEGER) AS new_customers,
       CAST(ad.net_revenue / nullif(sp.spend, 0) AS DECIMAL(18,2)) AS roas
FROM days d
SEMI JOIN marketing.campaigns c ON c.campaign_id = d.campaign_id
LEFT JOIN spend_daily sp USING (campaign_id, performance_date, medium)
LEFT JOIN sessions_daily se USING (campaign_id, performance_date, medium)
LEFT JOIN attributed_daily ad USING (campaign_id, performance_date, medium)
ORDER BY d.performance_date, d.campaign_id, d.medium`},

	{"marketing/email-engagement", "events", ScheduleUpstream, []PipelineInputSpec{
		fromLanding("esp", "esp/events-*.json"),
		fromPort("customer/customer-consent/current"),
		fromPort("marketing/campaigns/current"),
	}, `
-- The email service's webhook events in Northwind's words. Test sends to the seed list carry no customer and
-- are left out, as is anyone without an email-marketing consent record.
SELECT CAST(e.event_id AS VARCHAR) AS event_id,
       CAST(e.category AS VARCHAR) AS campaign_id,
       CAST(e.external_id AS VARCHAR) AS customer_id,
       CAST(e.email_sha256 AS VARCHAR) AS email_address_hash,
       CASE e.event WHEN 'processed' THEN 'sent' WHEN 'delivered' THEN 'delivered' WHEN 'open' THEN 'opened'
            WHEN 'click' THEN 'clicked' WHEN 'bounce' THEN 'bounced' WHEN 'spamreport' THEN 'complained'
            WHEN 'unsubscribe' THEN 'unsubscribed' END AS event_type,
       make_timestamp(CAST(e."timestamp" AS BIGINT) * 1000000) AS event_ts,
       CAST(e.url AS VARCHAR) AS link_url,
       CASE lower(e.device) WHEN 'desktop' THEN 'desktop' WHEN 'mobile' THEN 'mobile' WHEN 'tablet' THEN 'mobile'
            WHEN 'unknown' THEN 'unknown' END AS device_type
FROM esp e
SEMI JOIN marketing.campaigns c ON c.campaign_id = e.category
WHERE e.external_id IN (SELECT customer_id FROM customer.customer_consent_current WHERE purpose = 'email_marketing')
ORDER BY event_ts, event_id`},

	{"marketing/conversion-funnel", "daily", ScheduleUpstream, []PipelineInputSpec{
		fromPort("marketing/web-sessions/events"),
		fromPort("sales/orders/daily"),
		fromLanding("events", "clickstream/*/events-*.json.gz"),
	}, `
-- Sessions reaching each step, from the tracking events; orders only when sales/orders knows them and they
-- were not cancelled.
WITH steps AS (
    SELECT session_id,
           bool_or(event_name = 'page_view' AND page_path LIKE '%/p/%') AS viewed_product,
           bool_or(event_name = 'add_to_basket') AS added_to_basket,
           bool_or(event_name = 'begin_checkout') AS began_checkout
    FROM events GROUP BY session_id
), s AS (
    SELECT CAST(w.started_at AS DATE) AS funnel_date, w.session_channel, w.device_type, w.traffic_source, st.*, o.order_id AS placed
    FROM marketing.web_sessions w
    LEFT JOIN steps st USING (session_id)
    LEFT JOIN sales.orders_daily o ON o.order_id = w.order_id AND o.order_status <> 'cancelled'
)
SELECT funnel_date,
       session_channel,
       device_type,
       traffic_source,
       CAST(count(*) AS INTEGER) AS sessions,
       CAST(count(*) FILTER (WHERE viewed_product) AS INTEGER) AS product_view_sessions,
       CAST(count(*) FILTER (WHERE added_to_basket) AS INTEGER) AS add_to_basket_sessions,
       CAST(count(*) FILTER (WHERE began_checkout) AS INTEGER) AS checkout_sessions,
       CAST(count(placed) AS INTEGER) AS orders,
       CAST(count(placed) / count(*) AS DECIMAL(8,4)) AS conversion_rate
FROM s
GROUP BY ALL
ORDER BY funnel_date, session_channel, device_type, traffic_source`},

	// Finance results, built on everything above.
	{"finance/monthly-pnl", "monthly", ScheduleUpstream, []PipelineInputSpec{
		fromPort("finance/general-ledger/daily"),
		fromPort("sales/daily-store-sales/daily"),
		fromPort("finance/fiscal-calendar/daily"),
	}, `
-- The P&L per fiscal period: revenue, cost of sales and margin per channel and store from the daily sales;
-- store costs from the stores' cost centres in the ledger; marketing, logistics and central costs from the
-- ledger, allocated to channels by net revenue. Costs are negative. The cost-centre hierarchy joins once
-- Financial Reporting holds a grant on finance/cost-centres.
WITH sales AS (
    SELECT fiscal_period, channel, store_id, sum(net_revenue) AS net_revenue, sum(cost_of_goods_sold) AS cogs
    FROM sales.daily_store_sales GROUP BY ALL
), share AS (
    SELECT fiscal_period, channel, sum(net_revenue) / sum(sum(net_revenue)) OVER (PARTITION BY fiscal_period) AS share
    FROM sales GROUP BY fiscal_period, channel
), ledger_costs AS (
    SELECT fiscal_period, store_id,
           CASE WHEN account_code IN ('6100', '6200') THEN 'store_costs' WHEN account_code = '6500' THEN 'marketing'
                WHEN account_code = '6600' THEN 'logistics' ELSE 'central_costs' END AS pnl_line,
           -sum(debit_amount - credit_amount) AS amount
    FROM finance.general_ledger
    WHERE account_code IN ('6100', '6200', '6500', '6600', '6900')
    GROUP BY ALL
), lines AS (
    SELECT fiscal_period, 'net_revenue' AS pnl_line, channel, store_id, net_revenue AS amount, NULL AS cost_centre_code FROM sales
    UNION ALL
    SELECT fiscal_period, 'cost_of_sales', channel, store_id, -cogs, NULL FROM sales
    UNION ALL
    SELECT fiscal_period, 'gross_margin', channel, store_id, net_revenue - cogs, NULL FROM sales
    UNION ALL
    SELECT fiscal_period, pnl_line, 'store', store_id, amount, 'CC-' || store_id FROM ledger_costs WHERE pnl_line = 'store_costs'
    UNION ALL
    SELECT l.fiscal_period, l.pnl_line, s.channel, NULL, sum(l.amount) * s.share,
           CASE l.pnl_line WHEN 'marketing' THEN 'CC-4100' WHEN 'logistics' THEN 'CC-3000' ELSE 'CC-4000' END
    FROM ledger_costs l JOIN share s USING (fiscal_period)
    WHERE l.pnl_line <> 'store_costs'
    GROUP BY l.fiscal_period, l.pnl_line, s.channel, s.share
), with_ebitda AS (
    SELECT * FROM lines
    UNION ALL
    SELECT fiscal_period, 'ebitda', channel, NULL, sum(amount), NULL FROM lines
    WHERE pnl_line NOT IN ('net_revenue', 'cost_of_sales') GROUP BY fiscal_period, channel
), periods AS (
    SELECT fiscal_period, bool_and(is_period_closed) AS is_final FROM finance.fiscal_calendar GROUP BY fiscal_period
)
SELECT l.fiscal_period,
       l.pnl_line,
       l.channel,
       l.store_id,
       CAST(l.amount AS DECIMAL(18,2)) AS amount,
       CAST(py.amount AS DECIMAL(18,2)) AS prior_year_amount,
       l.cost_centre_code,
       p.is_final
FROM with_ebitda l
JOIN periods p USING (fiscal_period)
LEFT JOIN with_ebitda py
       ON py.fiscal_period = 'FY' || lpad(CAST(CAST(substr(l.fiscal_period, 3, 2) AS INTEGER) - 1 AS VARCHAR), 2, '0') || substr(l.fiscal_period, 5)
      AND py.pnl_line = l.pnl_line AND py.channel = l.channel AND py.store_id IS NOT DISTINCT FROM l.store_id
ORDER BY l.fiscal_period, l.pnl_line, l.channel, l.store_id NULLS FIRST`},

	{"finance/budget-vs-actual", "monthly", ScheduleManual, []PipelineInputSpec{
		fromPort("finance/general-ledger/daily"),
		fromLanding("budget", "planning/budget-*.csv"),
	}, `
-- Draft: actuals from the ledger by account group against the planning tool's budget and latest forecast.
-- Controlling needs a grant on finance/general-ledger before it can run.
WITH actual AS (
    SELECT fiscal_period, cost_centre_code,
           CASE WHEN account_code LIKE '40%' THEN 'revenue' WHEN account_code = '5000' THEN 'cost_of_sales'
                WHEN account_code = '6200' THEN 'staff' WHEN account_code = '6100' THEN 'rent'
                WHEN account_code = '6500' THEN 'marketing' ELSE 'other' END AS account_group,
           sum(CASE WHEN account_code LIKE '4%' THEN credit_amount - debit_amount ELSE debit_amount - credit_amount END) AS amount
    FROM finance.general_ledger
    WHERE account_code >= '4000'
    GROUP BY ALL
), plan AS (
    SELECT CAST(fiscal_period AS VARCHAR) AS fiscal_period, CAST(cost_centre AS VARCHAR) AS cost_centre_code,
           CAST(account_group AS VARCHAR) AS account_group, sum(budget_eur) AS budget, sum(forecast_eur) AS forecast
    FROM budget GROUP BY ALL
)
SELECT p.fiscal_period,
       p.cost_centre_code,
       p.account_group,
       CAST(coalesce(a.amount, 0) AS DECIMAL(18,2)) AS actual_amount,
       CAST(p.budget AS DECIMAL(18,2)) AS budget_amount,
       CAST(p.forecast AS DECIMAL(18,2)) AS forecast_amount,
       CAST(coalesce(a.amount, 0) - p.budget AS DECIMAL(18,2)) AS variance_amount
FROM plan p
LEFT JOIN actual a USING (fiscal_period, cost_centre_code, account_group)
ORDER BY p.fiscal_period, p.cost_centre_code, p.account_group`},
}

// demoPipelineAccess are the access requests the demo pipelines need: each
// team that builds on another team's product asks for the port, with the
// pipeline as its purpose, and that product's owner approves. Teams whose
// owner also owns the upstream team cannot be granted (nobody decides their
// own request), so those pipelines read what they can and say so.
var demoPipelineAccess = []demoAccess{
	{requester: demoHannah, product: "sales/orders", class: ClassInternal, ports: []string{"daily"}, days: 365,
		asked: 160*demoDay + 3*time.Hour,
		purpose: "Pipelines of Sales Analytics: sales/daily-store-sales, the v1 file until the year end and sales/revenue-by-channel " +
			"are built from the daily orders. Read inside Plaza by the pipelines only; nothing is exported.",
		decisions: []demoAct{approve(demoSofia, 159*demoDay+20*time.Hour, "Approved for the sales pipelines.")}},
	{requester: demoHannah, product: "sales/order-lines", class: ClassInternal, ports: []string{"daily"}, days: 365,
		asked:     160*demoDay + 2*time.Hour,
		purpose:   "The sales/daily-store-sales pipeline needs units and line values to work out cost of goods sold and margin.",
		decisions: []demoAct{approve(demoSofia, 159*demoDay+20*time.Hour, "Approved.")}},
	{requester: demoHannah, product: "sales/returns", class: ClassInternal, ports: []string{"daily"}, days: 365,
		asked:     160*demoDay + 1*time.Hour,
		purpose:   "Refunds for the returns received each day, netted off revenue in sales/daily-store-sales and sales/revenue-by-channel.",
		decisions: []demoAct{approve(demoSofia, 159*demoDay+19*time.Hour, "Approved.")}},
	{requester: demoHannah, product: "supply-chain/inventory-snapshots", class: ClassInternal, ports: []string{"daily"}, days: 365,
		asked:   150*demoDay + 4*time.Hour,
		purpose: "Weighted average unit costs for the margin in sales/daily-store-sales. The pipeline reads the latest snapshot's cost per SKU.",
		decisions: []demoAct{approve(demoPriya, 149*demoDay+22*time.Hour,
			"Approved. Use unit_cost, not stock_value: the value includes stock in transit.")}},
	{requester: demoHannah, product: "finance/general-ledger", class: ClassConfidential, ports: []string{"daily"}, days: 180,
		asked: 45*demoDay + 5*time.Hour,
		purpose: "sales/revenue-by-channel reconciles the order data to the ledger's sales accounts (4000 to 4030) per fiscal period " +
			"and shows the difference. Only the four sales accounts are used, summed per period.",
		decisions: []demoAct{approve(demoTom, 44*demoDay+21*time.Hour,
			"Approved for the reconciliation. Marketplace sales are booked net of the partners' commission, so expect a gap there.")}},
	{requester: demoTom, product: "sales/daily-store-sales", class: ClassInternal, ports: []string{"daily"}, days: 365,
		asked:     140*demoDay + 2*time.Hour,
		purpose:   "finance/monthly-pnl takes the channel and store split of revenue, cost of sales and margin from the daily store sales.",
		decisions: []demoAct{approve(demoSofia, 139*demoDay+23*time.Hour, "Approved for the P&L.")}},
	{requester: demoPriya, product: "sales/orders", class: ClassInternal, ports: []string{"daily"}, days: 365,
		asked:     120*demoDay + 6*time.Hour,
		purpose:   "supply-chain/shipments links home deliveries to their orders; the pipeline checks every dispatched order exists.",
		decisions: []demoAct{approve(demoSofia, 119*demoDay+21*time.Hour, "Approved.")}},
	{requester: demoDaniel, product: "sales/orders", class: ClassInternal, ports: []string{"daily"}, days: 365,
		asked: 170*demoDay + 2*time.Hour,
		purpose: "customer/customer-360 (lifetime orders, revenue and home store) and customer/customer-segments (RFM scores) are " +
			"built from the daily orders of known customers.",
		decisions: []demoAct{approve(demoSofia, 169*demoDay+22*time.Hour, "Approved for the customer pipelines.")}},
	{requester: demoMarco, product: "sales/orders", class: ClassInternal, ports: []string{"daily"}, days: 365,
		asked: 100*demoDay + 3*time.Hour,
		purpose: "marketing/campaign-performance attributes orders to campaigns (by session and by voucher) and " +
			"marketing/conversion-funnel checks which sessions' orders went through.",
		decisions: []demoAct{approve(demoSofia, 99*demoDay+23*time.Hour, "Approved.")}},
}

// SeedDemoPipelines files the access requests the demo pipelines need and
// saves the pipelines that do not exist yet, each as an owner of its
// product's team. What exists is left alone, so a restart changes nothing;
// products that are gone, renamed or retired get no pipeline. It runs after
// SeedDemo, which made the catalog and the people; when every pipeline
// exists it costs a few queries.
func (s *Store) SeedDemoPipelines(ctx context.Context) error {
	if err := s.seedDemoPipelineAccess(ctx); err != nil {
		return err
	}
	var existing []struct{ Domain, Product, Port string }
	err := s.db(ctx).Table("pipelines").Select("domains.slug AS domain, products.slug AS product, pipelines.port AS port").
		Joins("JOIN products ON products.id = pipelines.product_id").Joins("JOIN domains ON domains.id = products.domain_id").
		Scan(&existing).Error
	if err != nil {
		return fmt.Errorf("seed pipelines: %w", err)
	}
	have := map[string]bool{}
	for _, e := range existing {
		have[e.Domain+"/"+e.Product+"/"+e.Port] = true
	}
	owners := map[uint]*User{} // by team
	for _, dp := range DemoPipelines() {
		if have[dp.Product+"/"+dp.Spec.Port] {
			continue
		}
		domain, slug, _ := strings.Cut(dp.Product, "/")
		p, err := s.ProductBySlug(ctx, domain, slug)
		var moved *ErrMoved
		if isNotFound(err) || errors.As(err, &moved) {
			continue
		}
		if err != nil {
			return fmt.Errorf("seed pipeline %s: %w", dp.Product, err)
		}
		if p.Status == StatusRetired || !slices.ContainsFunc(p.OutputPorts, func(op OutputPort) bool { return op.Slug == dp.Spec.Port }) {
			continue
		}
		owner, ok := owners[p.TeamID]
		if !ok {
			members, err := s.Members(ctx, p.TeamID)
			if err != nil {
				return fmt.Errorf("seed pipeline %s: %w", dp.Product, err)
			}
			for i := range members {
				if members[i].Role == RoleOwner && members[i].User.Active() {
					owner = &members[i].User
					break
				}
			}
			owners[p.TeamID] = owner
		}
		if owner == nil {
			continue // a team without an active owner: nobody to write it
		}
		if _, err := s.SavePipeline(ctx, owner, p, dp.Spec); err != nil {
			return fmt.Errorf("seed pipeline %s#%s: %w", dp.Product, dp.Spec.Port, err)
		}
	}
	return nil
}

// seedDemoPipelineAccess plays the pipeline teams' access requests that have
// not happened yet, back in time like the other access stories.
func (s *Store) seedDemoPipelineAccess(ctx context.Context) error {
	realClock, mail := s.Now, s.Mail
	defer func() { s.Now, s.Mail = realClock, mail }()
	s.Mail = false
	tl := &demoTimeline{s: s, now: s.now().Truncate(time.Second), grants: map[uint][]time.Time{}}
	people := map[string]*User{}
	for _, p := range DemoPersonas {
		u, err := s.UserByEmail(ctx, p.Email)
		if err != nil {
			return fmt.Errorf("seed pipeline access: %w", err)
		}
		people[p.Email] = u
	}
	asked := map[uint][]AccessRequest{}
	for i := range demoPipelineAccess {
		st := &demoPipelineAccess[i]
		p, ok, err := s.demoAccessReady(ctx, st, people, asked)
		if err != nil {
			return fmt.Errorf("seed pipeline access %s for %s: %w", st.product, st.requester, err)
		}
		if ok {
			tl.story(st, people[st.requester], people, p, nil)
		}
	}
	if len(tl.steps) == 0 {
		return nil
	}
	if err := tl.run(ctx); err != nil {
		return err
	}
	s.Now = realClock
	if _, err := s.SweepAccess(ctx); err != nil {
		return fmt.Errorf("seed pipeline access: %w", err)
	}
	return nil
}
