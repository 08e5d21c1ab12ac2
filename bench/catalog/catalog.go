// Package catalog generates large, realistic catalogs of data products for
// benchmarks: the search benchmark in models and bench/marketplace.sh. Only
// benchmarks and their tests import it.
package catalog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"plaza/models"
)

// benchWords are the business words the generator writes, commonest
// first: it draws them with a Zipf distribution, as real catalogs repeat a
// few words a lot. benchVocabulary adds a long tail of rarer made-up words
// (brands, systems, codes).
var benchWords = strings.Fields(`customer order revenue product store daily sales data date id amount total
	monthly weekly channel web shop stock warehouse supplier shipment delivery return refund payment invoice
	ledger account budget forecast cost margin price discount promotion campaign email session visit click
	conversion funnel segment loyalty member tier points redemption consent profile address country region
	city currency tax net gross quantity unit sku category brand catalogue inventory snapshot movement
	transfer purchase line item basket checkout cart device browser source medium attribution touchpoint
	churn score model prediction feature label training event stream batch table view report dashboard
	metric kpi target actual variance period fiscal quarter year calendar week hour minute timestamp
	status code type flag count average median minimum maximum ratio rate share growth trend season
	holiday weather footfall visitor door sensor staff shift roster payroll employee contract vendor
	carrier parcel route driver vehicle fuel emission energy waste packaging label barcode scan till
	receipt voucher gift card coupon offer bundle subscription renewal cancellation complaint ticket
	support agent chat call survey rating review feedback sentiment nps satisfaction retention acquisition
	lifetime value cohort frequency recency monetary premium standard basic gold silver bronze platinum`)

var benchStopWords = strings.Fields(`the and of for per with from by each all is are in on to a one every which when`)

func benchVocabulary() []string {
	out := append([]string(nil), benchWords...)
	syllables := strings.Fields("ka lo mi ne ru sa ti vo ze bra cle dri fro glu kra pli sto tre vin dal")
	for i := 0; len(out) < 3000; i++ {
		a, b, c := syllables[i%20], syllables[(i/20)%20], syllables[(i/400)%20]
		out = append(out, a+b+c)
	}
	return out
}

var benchAdjectives = strings.Fields(`Daily Weekly Monthly Hourly Quarterly Yearly Net Gross Historical Current
	Consolidated Enriched Raw Curated Aggregated Detailed Regional Global Online In-store Cleaned Certified`)

var benchTags = strings.Fields(`core pii gdpr finance kpi sales marketing ops realtime batch legacy certified
	experimental gold silver bronze daily hourly monthly reference master derived external internal audit
	forecast ml dashboard executive regulatory tax retail ecommerce loyalty supply logistics hr budget
	quality sla streaming snapshot history dimension fact event cdc api export import partner vendor`)

var benchColumnTypes = []string{"string", "integer", "decimal", "date", "timestamp", "boolean"}

// benchDomains are the generated domains, each with four teams.
var benchDomains = []string{"sales", "customer", "marketing", "supply-chain", "finance", "logistics", "people", "digital"}

// Generate writes n products of about 20 columns each, with tags,
// glossary links and a mix of statuses and classifications, fast: plain
// multi-row INSERTs in one transaction, leaving the search index to
// ReindexAll. It returns a person who owns one team (so sees its drafts).
func Generate(ctx context.Context, s *models.Store, n int) (*models.User, error) {
	admin, err := s.EnsureUser(ctx, "gen-admin@example.com", "Admin", []string{"gen-admin@example.com"})
	if err != nil {
		return nil, err
	}
	owner, err := s.EnsureUser(ctx, "gen-owner@example.com", "Owner", nil)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := benchVocabulary()
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.05, 10, uint64(len(vocab)-1))
	word := func() string { return vocab[zipf.Uint64()] }
	// A product's text is about its topic (a dozen words, common business
	// words more often than rare ones) in sentences full of stop words, as
	// people write. topic is the current product's.
	var topic []string
	words := func(lo, hi int) string {
		out := make([]string, lo+rng.IntN(hi-lo+1))
		for i := range out {
			if rng.IntN(5) < 2 {
				out[i] = benchStopWords[rng.IntN(len(benchStopWords))]
			} else {
				out[i] = topic[rng.IntN(len(topic))]
			}
		}
		return strings.Join(out, " ")
	}
	title := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

	type team struct{ id, domainID uint }
	var teams []team
	var termIDs []uint
	for _, dslug := range benchDomains {
		d, err := s.DomainBySlug(ctx, dslug)
		if err != nil {
			if d, err = s.CreateDomain(ctx, admin, models.DomainInput{Slug: dslug, Name: title(strings.ReplaceAll(dslug, "-", " "))}); err != nil {
				return nil, err
			}
		}
		for i := range 4 {
			tslug := fmt.Sprintf("%s-team-%d", dslug, i+1)
			t, err := s.CreateTeam(ctx, admin, dslug, models.TeamInput{Slug: tslug, Name: title(word()) + " " + title(word())})
			if err != nil {
				return nil, err
			}
			if len(teams) == 0 {
				if _, err := s.AddMember(ctx, admin, t, owner.Email, models.RoleOwner); err != nil {
					return nil, err
				}
			}
			teams = append(teams, team{t.ID, d.ID})
		}
		for i := range 5 {
			topic = []string{word(), word(), word()}
			term, err := s.CreateTerm(ctx, admin, dslug, models.TermInput{Slug: fmt.Sprintf("term-%d", i), Name: title(topic[0]),
				Definition: words(8, 20), Synonyms: topic[1] + ", " + topic[2]})
			if err != nil {
				return nil, err
			}
			termIDs = append(termIDs, term.ID)
		}
	}

	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		next := func(table string) (uint, error) {
			var id uint
			err := tx.Table(table).Select("COALESCE(MAX(id), 0)").Scan(&id).Error
			return id + 1, err
		}
		productID, err := next("products")
		if err != nil {
			return err
		}
		portID, err := next("output_ports")
		if err != nil {
			return err
		}
		columnID, err := next("columns")
		if err != nil {
			return err
		}
		tagID, err := next("product_tags")
		if err != nil {
			return err
		}
		statuses := []string{models.StatusPublished, models.StatusPublished, models.StatusPublished, models.StatusPublished,
			models.StatusPublished, models.StatusPublished, models.StatusPublished, models.StatusDraft, models.StatusDeprecated, models.StatusRetired}
		now := time.Now().UTC()
		const batch = 2000
		for lo := 0; lo < n; lo += batch {
			var products, ports, columns, tags [][]any
			for i := lo; i < min(lo+batch, n); i++ {
				tm := teams[rng.IntN(len(teams))]
				topic = topic[:0]
				for range 12 {
					topic = append(topic, word())
				}
				name := benchAdjectives[rng.IntN(len(benchAdjectives))] + " " + title(topic[0]) + " " + title(topic[1])
				if rng.IntN(3) == 0 {
					name += " by " + title(topic[2])
				}
				status := statuses[rng.IntN(len(statuses))]
				updated := now.Add(-time.Duration(rng.IntN(2*365*24*60)) * time.Minute)
				var published any
				if status != models.StatusDraft {
					published = updated.Add(-time.Duration(rng.IntN(90*24)) * time.Hour)
				}
				products = append(products, []any{productID, tm.domainID, tm.id, slug(name, i), name,
					title(words(6, 14)) + ".", title(words(30, 120)) + ".", models.Classifications[rng.IntN(len(models.Classifications))],
					status, fmt.Sprintf("%d.%d.0", 1+rng.IntN(3), rng.IntN(10)), 24, published, updated, updated})
				for _, tag := range pick(rng, benchTags, 2+rng.IntN(4)) {
					tags = append(tags, []any{tagID, productID, tag})
					tagID++
				}
				nports := 1 + rng.IntN(2)
				for p := range nports {
					pslug := fmt.Sprintf("%s-%d", topic[rng.IntN(len(topic))], p)
					ports = append(ports, []any{portID, productID, pslug, pslug, "parquet", words(4, 12), p})
					for c := range 18/nports + rng.IntN(5) {
						var term any
						if rng.IntN(5) == 0 {
							term = termIDs[rng.IntN(len(termIDs))]
						}
						columns = append(columns, []any{columnID, portID, c, fmt.Sprintf("%s_%s_%d", topic[rng.IntN(len(topic))], topic[rng.IntN(len(topic))], c),
							benchColumnTypes[rng.IntN(len(benchColumnTypes))], words(3, 10), rng.IntN(2) == 0, c == 0, rng.IntN(10) == 0, term})
						columnID++
					}
					portID++
				}
				productID++
			}
			for _, ins := range []struct {
				table string
				cols  []string
				rows  [][]any
			}{
				{"products", []string{"id", "domain_id", "team_id", "slug", "name", "summary", "description", "classification",
					"status", "version", "freshness_hours", "published_at", "created_at", "updated_at"}, products},
				{"product_tags", []string{"id", "product_id", "tag"}, tags},
				{"output_ports", []string{"id", "product_id", "slug", "name", "format", "description", "position"}, ports},
				{"columns", []string{"id", "port_id", "position", "name", "type", "description", "nullable", "primary_key", "pii", "term_id"}, columns},
			} {
				if err := bulkInsert(tx, ins.table, ins.cols, ins.rows); err != nil {
					return fmt.Errorf("generate %s: %w", ins.table, err)
				}
			}
		}
		if models.Dialect(tx) == "postgres" {
			for _, table := range []string{"products", "product_tags", "output_ports", "columns"} {
				if err := tx.Exec(fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), (SELECT MAX(id) FROM %[1]s))`, table)).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	return owner, err
}

// slug makes a product slug unique in the generated catalog.
func slug(name string, i int) string {
	s := models.Slugify(name)
	return strings.TrimSuffix(s[:min(len(s), 50)], "-") + "-" + strconv.Itoa(i)
}

// pick returns k different values of list.
func pick(rng *rand.Rand, list []string, k int) []string {
	out := make([]string, 0, k)
	for _, i := range rng.Perm(len(list))[:k] {
		out = append(out, list[i])
	}
	return out
}

// bulkInsert writes rows into table with multi-row INSERTs. The SQLite
// driver binds parameters in time quadratic in their number, so it gets
// about a thousand per statement; Postgres gets up to its limit.
func bulkInsert(tx *gorm.DB, table string, cols []string, rows [][]any) error {
	per := 30000 / len(cols)
	if models.Dialect(tx) != "postgres" {
		per = 1000 / len(cols)
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for lo := 0; lo < len(rows); lo += per {
		chunk := rows[lo:min(lo+per, len(rows))]
		var sql strings.Builder
		sql.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, len(chunk)*len(cols))
		for i, r := range chunk {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString(row)
			args = append(args, r...)
		}
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}
