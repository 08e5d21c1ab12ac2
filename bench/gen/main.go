// Command gen fills a Plaza data folder with the demo company and a large
// generated catalog, for bench/marketplace.sh:
//
//	go run ./bench/gen --data /tmp/plaza-bench --products 100000
//
// With --history it adds a year of activity (2,000 daily pipelines, a
// million queries: about 5 million rows, see catalog.GenerateHistory) and
// rolls it up into the dashboards' day tables, for the dashboard
// benchmarks.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"plaza/bench/catalog"
	"plaza/models"
)

func main() {
	data := flag.String("data", "", "the data folder to fill (its plaza.db)")
	dbURL := flag.String("database-url", os.Getenv("PLAZA_DATABASE_URL"), "a postgres:// URL instead of <data>/plaza.db")
	n := flag.Int("products", 100000, "how many products to generate")
	history := flag.Bool("history", false, "add a year of runs, checks, queries and downloads, and roll it up")
	flag.Parse()
	if err := run(*data, *dbURL, *n, *history); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(data, dbURL string, n int, history bool) error {
	if data == "" && dbURL == "" {
		return fmt.Errorf("--data or --database-url is required")
	}
	if dbURL == "" {
		dbURL = filepath.Join(data, "plaza.db")
	}
	ctx := context.Background()
	db, err := models.Open(dbURL)
	if err != nil {
		return err
	}
	if err := models.Migrate(ctx, db); err != nil {
		return err
	}
	s := models.NewStore(db)
	if err := s.SeedDemo(ctx); err != nil {
		return err
	}
	start := time.Now()
	if _, err := catalog.Generate(ctx, s, n); err != nil {
		return err
	}
	fmt.Printf("generated %d products in %s\n", n, time.Since(start).Round(time.Second))
	start = time.Now()
	if err := s.ReindexAll(ctx); err != nil {
		return err
	}
	fmt.Printf("indexed in %s\n", time.Since(start).Round(time.Second))
	if !history {
		return nil
	}
	start = time.Now()
	rep, err := catalog.GenerateHistory(ctx, s, catalog.HistoryOptions{Now: time.Now()})
	if err != nil {
		return err
	}
	fmt.Printf("generated the history from %s to %s in %s: %s\n", rep.From.Format(time.DateOnly), rep.To.Format(time.DateTime),
		time.Since(start).Round(time.Second), rep)
	start = time.Now()
	roll, err := s.RollupStats(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("rolled up %d days (%d product days, %d product health rows) in %s\n", roll.Days, roll.Products, roll.Health,
		time.Since(start).Round(time.Second))
	if models.Dialect(db) == "postgres" {
		// The dashboards read the day tables: plan them with their rows
		// counted, even where autovacuum is off.
		if err := db.Exec("ANALYZE product_days, team_days, user_days, product_health").Error; err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
	}
	return nil
}
