// Command gen fills a Plaza data folder with the demo company and a large
// generated catalog, for bench/marketplace.sh:
//
//	go run ./bench/gen --data /tmp/plaza-bench --products 100000
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
	flag.Parse()
	if err := run(*data, *dbURL, *n); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(data, dbURL string, n int) error {
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
	return nil
}
