// Package dbtest opens fresh, migrated metadata stores for tests: a SQLite
// file in the test's temporary folder always, and a scratch schema in the
// Postgres named by PLAZA_TEST_DATABASE_URL when that is set. Only tests
// import it.
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"plaza/models"
)

// EnvPostgres names the variable that points the tests at a Postgres server.
const EnvPostgres = "PLAZA_TEST_DATABASE_URL"

// SQLite opens a fresh, migrated SQLite file under t.TempDir().
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "plaza.db"))
}

// Postgres opens a fresh, migrated schema of its own in the test Postgres,
// dropped when the test ends. It skips the test when none is configured.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("%s is not set", EnvPostgres)
	}
	dsn, drop := Schema(t, base)
	t.Cleanup(drop)
	return open(t, dsn)
}

// Schema creates a scratch schema in the Postgres at base and returns a URL
// whose connections use it, and a function that drops it.
func Schema(t testing.TB, base string) (string, func()) {
	t.Helper()
	admin, err := models.Open(base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvPostgres, err)
	}
	schema := "t_" + models.NewSecret(8)
	if err := admin.Exec(fmt.Sprintf(`CREATE SCHEMA %q`, schema)).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		admin.Exec(fmt.Sprintf(`DROP SCHEMA %q CASCADE`, schema))
		if sqlDB, err := admin.DB(); err == nil {
			sqlDB.Close()
		}
	}
	return u.String(), drop
}

func open(t testing.TB, dsn string) *gorm.DB {
	t.Helper()
	db, err := models.Open(dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	if err := models.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// Each runs fn once on SQLite and, when configured, once on Postgres, as
// subtests named after the database.
func Each(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// Name returns a readable name for db's dialect, for messages.
func Name(db *gorm.DB) string { return strings.ToLower(models.Dialect(db)) }
