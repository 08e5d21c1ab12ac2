package models

import (
	"context"
	"fmt"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// Migrate brings the schema up to date. Migrations are versioned and never
// edited once they land: each one carries its own copy of the tables it
// creates, so later changes to the model structs cannot change history.
func Migrate(ctx context.Context, db *gorm.DB) error {
	m := gormigrate.New(db.WithContext(ctx), &gormigrate.Options{
		TableName:                 "schema_migrations",
		IDColumnName:              "id",
		IDColumnSize:              64,
		UseTransaction:            true,
		ValidateUnknownMigrations: true,
	}, migrations())
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "0001_platform", Migrate: migratePlatform},
		{ID: "0002_products", Migrate: migrateProducts},
		{ID: "0003_search", Migrate: migrateSearch},
		{ID: "0004_search_cache", Migrate: migrateSearchCache},
		{ID: "0005_access", Migrate: migrateAccess},
		{ID: "0006_pipelines", Migrate: migratePipelines},
		{ID: "0007_incidents", Migrate: migrateIncidents},
		{ID: "0008_queries", Migrate: migrateQueries},
		{ID: "0009_stats", Migrate: migrateStats},
		{ID: "0010_dash_state", Migrate: migrateDashState},
	}
}

// migratePlatform creates people, domains, teams, sessions, tokens and the
// append-only audit log.
func migratePlatform(tx *gorm.DB) error {
	type User struct {
		ID            uint   `gorm:"primaryKey"`
		Email         string `gorm:"size:254;uniqueIndex;not null"`
		Name          string `gorm:"size:120;not null"`
		Title         string `gorm:"size:160"`
		IsAdmin       bool   `gorm:"not null;default:false"`
		DeactivatedAt *time.Time
		LastSeenAt    *time.Time
		CreatedAt     time.Time
		UpdatedAt     time.Time
	}
	type Identity struct {
		ID        uint   `gorm:"primaryKey"`
		UserID    uint   `gorm:"not null;index"`
		User      User   `gorm:"constraint:OnDelete:CASCADE"`
		Provider  string `gorm:"size:64;not null;uniqueIndex:idx_identity_subject"`
		Subject   string `gorm:"size:255;not null;uniqueIndex:idx_identity_subject"`
		CreatedAt time.Time
	}
	type Domain struct {
		ID           uint   `gorm:"primaryKey"`
		Slug         string `gorm:"size:40;uniqueIndex;not null"`
		Name         string `gorm:"size:80;not null"`
		Description  string `gorm:"size:2000"`
		ContactEmail string `gorm:"size:254"`
		ArchivedAt   *time.Time
		CreatedAt    time.Time
		UpdatedAt    time.Time
	}
	type Team struct {
		ID          uint   `gorm:"primaryKey"`
		DomainID    uint   `gorm:"not null;uniqueIndex:idx_team_slug"`
		Domain      Domain `gorm:"constraint:OnDelete:RESTRICT"`
		Slug        string `gorm:"size:40;not null;uniqueIndex:idx_team_slug"`
		Name        string `gorm:"size:80;not null"`
		Description string `gorm:"size:2000"`
		ArchivedAt  *time.Time
		CreatedAt   time.Time
		UpdatedAt   time.Time
	}
	type Membership struct {
		ID        uint   `gorm:"primaryKey"`
		TeamID    uint   `gorm:"not null;uniqueIndex:idx_membership"`
		Team      Team   `gorm:"constraint:OnDelete:CASCADE"`
		UserID    uint   `gorm:"not null;uniqueIndex:idx_membership;index"`
		User      User   `gorm:"constraint:OnDelete:CASCADE"`
		Role      string `gorm:"size:16;not null"`
		CreatedAt time.Time
	}
	type Session struct {
		ID         uint   `gorm:"primaryKey"`
		Hash       string `gorm:"size:64;not null;uniqueIndex"`
		UserID     uint   `gorm:"not null;index"`
		User       User   `gorm:"constraint:OnDelete:CASCADE"`
		Provider   string `gorm:"size:64;not null"`
		CreatedAt  time.Time
		ExpiresAt  time.Time `gorm:"not null;index"`
		LastSeenAt time.Time
	}
	type APIToken struct {
		ID         uint   `gorm:"primaryKey"`
		UserID     uint   `gorm:"not null;index"`
		User       User   `gorm:"constraint:OnDelete:CASCADE"`
		Name       string `gorm:"size:80;not null"`
		Prefix     string `gorm:"size:16;not null"`
		Hash       string `gorm:"size:64;not null;uniqueIndex"`
		LastUsedAt *time.Time
		RevokedAt  *time.Time
		CreatedAt  time.Time
	}
	type AuditEvent struct {
		ID         uint      `gorm:"primaryKey"`
		At         time.Time `gorm:"not null;index"`
		ActorID    *uint     `gorm:"index"`
		ActorEmail string    `gorm:"size:254;not null"`
		Action     string    `gorm:"size:64;not null;index"`
		ObjectType string    `gorm:"size:32;not null;index:idx_audit_object"`
		ObjectID   string    `gorm:"size:255;not null;index:idx_audit_object"`
		Before     string    `gorm:"type:text"`
		After      string    `gorm:"type:text"`
		RequestID  string    `gorm:"size:64"`
	}
	if err := tx.AutoMigrate(&User{}, &Identity{}, &Domain{}, &Team{}, &Membership{}, &Session{}, &APIToken{}, &AuditEvent{}); err != nil {
		return err
	}
	return appendOnly(tx, "audit_events")
}

// appendOnly makes the database itself refuse UPDATE and DELETE on table.
func appendOnly(tx *gorm.DB, table string) error {
	var stmts []string
	switch Dialect(tx) {
	case "postgres":
		stmts = []string{
			`CREATE OR REPLACE FUNCTION plaza_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`,
			fmt.Sprintf(`CREATE TRIGGER %[1]s_append_only BEFORE UPDATE OR DELETE ON %[1]s
			FOR EACH ROW EXECUTE FUNCTION plaza_append_only()`, table),
			fmt.Sprintf(`CREATE TRIGGER %[1]s_no_truncate BEFORE TRUNCATE ON %[1]s
			FOR EACH STATEMENT EXECUTE FUNCTION plaza_append_only()`, table),
		}
	default:
		stmts = []string{
			fmt.Sprintf(`CREATE TRIGGER %[1]s_no_update BEFORE UPDATE ON %[1]s
			BEGIN SELECT RAISE(ABORT, '%[1]s is append-only'); END`, table),
			fmt.Sprintf(`CREATE TRIGGER %[1]s_no_delete BEFORE DELETE ON %[1]s
			BEGIN SELECT RAISE(ABORT, '%[1]s is append-only'); END`, table),
		}
	}
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return fmt.Errorf("make %s append-only: %w", table, err)
		}
	}
	return nil
}

// migrateProducts creates data products with their ports, schemas, tags,
// quality rules and old addresses, and the business glossary.
func migrateProducts(tx *gorm.DB) error {
	type Domain struct{ ID uint }
	type Team struct{ ID uint }
	type GlossaryTerm struct {
		ID         uint   `gorm:"primaryKey"`
		DomainID   uint   `gorm:"not null;uniqueIndex:idx_term_slug"`
		Domain     Domain `gorm:"constraint:OnDelete:RESTRICT"`
		Slug       string `gorm:"size:60;not null;uniqueIndex:idx_term_slug"`
		Name       string `gorm:"size:120;not null"`
		Definition string `gorm:"type:text"`
		Synonyms   string `gorm:"size:500"`
		CreatedAt  time.Time
		UpdatedAt  time.Time
	}
	type Product struct {
		ID             uint   `gorm:"primaryKey"`
		DomainID       uint   `gorm:"not null;uniqueIndex:idx_product_slug"`
		Domain         Domain `gorm:"constraint:OnDelete:RESTRICT"`
		TeamID         uint   `gorm:"not null;index"`
		Team           Team   `gorm:"constraint:OnDelete:RESTRICT"`
		Slug           string `gorm:"size:60;not null;uniqueIndex:idx_product_slug"`
		Name           string `gorm:"size:120;not null"`
		Summary        string `gorm:"size:300"`
		Description    string `gorm:"type:text"`
		Classification string `gorm:"size:16;not null;index"`
		Status         string `gorm:"size:16;not null;index"`
		Version        string `gorm:"size:32;not null"`
		TermsOfUse     string `gorm:"type:text"`
		ReplacementID  *uint
		FreshnessHours int
		Availability   string `gorm:"size:32"`
		SupportChannel string `gorm:"size:255"`
		ResponseTime   string `gorm:"size:64"`
		ContractExtra  string `gorm:"type:text"`
		PublishedAt    *time.Time
		CreatedAt      time.Time
		UpdatedAt      time.Time `gorm:"index"`
	}
	type ProductTag struct {
		ID        uint    `gorm:"primaryKey"`
		ProductID uint    `gorm:"not null;uniqueIndex:idx_product_tag"`
		Product   Product `gorm:"constraint:OnDelete:CASCADE"`
		Tag       string  `gorm:"size:40;not null;uniqueIndex:idx_product_tag;index"`
	}
	type OutputPort struct {
		ID          uint    `gorm:"primaryKey"`
		ProductID   uint    `gorm:"not null;uniqueIndex:idx_port_slug"`
		Product     Product `gorm:"constraint:OnDelete:CASCADE"`
		Slug        string  `gorm:"size:60;not null;uniqueIndex:idx_port_slug"`
		Name        string  `gorm:"size:120;not null"`
		Format      string  `gorm:"size:32;not null"`
		Description string  `gorm:"size:2000"`
		Position    int     `gorm:"not null"`
	}
	type Column struct {
		ID          uint          `gorm:"primaryKey"`
		PortID      uint          `gorm:"not null;index"`
		Port        OutputPort    `gorm:"constraint:OnDelete:CASCADE"`
		Position    int           `gorm:"not null"`
		Name        string        `gorm:"size:128;not null"`
		Type        string        `gorm:"size:64;not null"`
		Description string        `gorm:"size:2000"`
		Nullable    bool          `gorm:"not null"`
		PrimaryKey  bool          `gorm:"not null"`
		PII         bool          `gorm:"not null"`
		TermID      *uint         `gorm:"index"`
		Term        *GlossaryTerm `gorm:"constraint:OnDelete:SET NULL"`
	}
	type InputPort struct {
		ID                uint    `gorm:"primaryKey"`
		ProductID         uint    `gorm:"not null;index"`
		Product           Product `gorm:"constraint:OnDelete:CASCADE"`
		Position          int     `gorm:"not null"`
		UpstreamProductID *uint   `gorm:"index"`
		UpstreamPort      string  `gorm:"size:60"`
		Landing           string  `gorm:"size:255"`
		Description       string  `gorm:"size:1000"`
	}
	type QualityRule struct {
		ID          uint    `gorm:"primaryKey"`
		ProductID   uint    `gorm:"not null;index"`
		Product     Product `gorm:"constraint:OnDelete:CASCADE"`
		Position    int     `gorm:"not null"`
		Port        string  `gorm:"size:60"`
		Column      string  `gorm:"size:128"`
		Kind        string  `gorm:"size:32;not null"`
		Description string  `gorm:"size:1000"`
		Spec        string  `gorm:"type:text"`
		Blocking    bool    `gorm:"not null"`
	}
	type ProductRedirect struct {
		ID        uint    `gorm:"primaryKey"`
		OldDomain string  `gorm:"size:40;not null;uniqueIndex:idx_redirect_old"`
		OldSlug   string  `gorm:"size:60;not null;uniqueIndex:idx_redirect_old"`
		ProductID uint    `gorm:"not null;index"`
		Product   Product `gorm:"constraint:OnDelete:CASCADE"`
	}
	return tx.AutoMigrate(&GlossaryTerm{}, &Product{}, &ProductTag{}, &OutputPort{}, &Column{}, &InputPort{}, &QualityRule{}, &ProductRedirect{})
}

// migrateSearch creates the marketplace search index: search_docs holds one
// row per product with the text to search (raw; the database tokenizes it)
// and copies of what results are filtered and sorted by. SQLite indexes it
// with an FTS5 table kept in sync by triggers; Postgres with a generated,
// weighted tsvector and a word table for typo suggestions. Renaming a
// domain, a team or a glossary term rewrites the rows concerned by trigger.
// Existing products are indexed at the end.
func migrateSearch(tx *gorm.DB) error {
	// The text of a product as the index sees it. Frozen here as it was in
	// 0003; the code's copy (searchDocSQL) may evolve.
	const docSelect = `SELECT p.id, p.domain_id, p.team_id, p.status, p.classification, lower(p.name), p.updated_at,
	p.name, COALESCE(p.summary, ''),
	COALESCE((SELECT string_agg(pt.tag, ' ' ORDER BY pt.tag) FROM product_tags pt WHERE pt.product_id = p.id), ''),
	COALESCE(p.description, ''),
	COALESCE((SELECT string_agg(op.name || ' ' || COALESCE(op.description, ''), ' ' ORDER BY op.position)
		FROM output_ports op WHERE op.product_id = p.id), '') || ' ' ||
	COALESCE((SELECT string_agg(c.name || ' ' || COALESCE(c.description, ''), ' ' ORDER BY op.position, c.position)
		FROM columns c JOIN output_ports op ON op.id = c.port_id WHERE op.product_id = p.id), ''),
	COALESCE((SELECT string_agg(g.name || ' ' || COALESCE(g.synonyms, ''), ' ' ORDER BY g.id) FROM glossary_terms g
		WHERE g.id IN (SELECT c.term_id FROM columns c JOIN output_ports op ON op.id = c.port_id WHERE op.product_id = p.id)), ''),
	dm.name || ' ' || t.name
FROM products p JOIN domains dm ON dm.id = p.domain_id JOIN teams t ON t.id = p.team_id`
	const glossaryOf = `COALESCE((SELECT string_agg(g.name || ' ' || COALESCE(g.synonyms, ''), ' ' ORDER BY g.id) FROM glossary_terms g
		WHERE g.id IN (SELECT c.term_id FROM columns c JOIN output_ports op ON op.id = c.port_id WHERE op.product_id = search_docs.product_id)), '')`
	const affectedByTerm = `SELECT op.product_id FROM columns c JOIN output_ports op ON op.id = c.port_id WHERE c.term_id = NEW.id`
	var stmts []string
	switch Dialect(tx) {
	case "postgres":
		// Punctuation becomes a space before parsing, so Postgres splits
		// "orders.parquet", URLs and e-mail addresses into words as FTS5 and
		// the query tokenizer do, instead of keeping them whole.
		clean := func(col string) string {
			return `to_tsvector('simple'::regconfig, regexp_replace(` + col +
				`, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u00a0-\u00a9\u00ab-\u00b4\u00b6-\u00b9\u00bb-\u00bf\u2000-\u206f\u3000-\u303f]+', ' ', 'g'))`
		}
		stmts = []string{
			`CREATE TABLE search_docs (
				product_id bigint PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
				domain_id bigint NOT NULL,
				team_id bigint NOT NULL,
				status text NOT NULL,
				classification text NOT NULL,
				sort_name text COLLATE "C" NOT NULL,
				updated_at timestamptz NOT NULL,
				usage_score bigint NOT NULL DEFAULT 0,
				name text NOT NULL DEFAULT '',
				summary text NOT NULL DEFAULT '',
				tags text NOT NULL DEFAULT '',
				description text NOT NULL DEFAULT '',
				fields text NOT NULL DEFAULT '',
				glossary text NOT NULL DEFAULT '',
				owner text NOT NULL DEFAULT '',
				document tsvector GENERATED ALWAYS AS (
					setweight(` + clean("name") + `, 'A') ||
					setweight(` + clean("summary || ' ' || tags") + `, 'B') ||
					setweight(` + clean("description || ' ' || fields || ' ' || glossary") + `, 'C') ||
					setweight(` + clean("owner") + `, 'D')) STORED
			)`,
			`CREATE INDEX idx_search_docs_document ON search_docs USING gin (document)`,
			`CREATE TABLE search_words (word text COLLATE "C" PRIMARY KEY, docs bigint NOT NULL)`,
			// Statement-level, so a bulk reindex counts words once per
			// statement rather than once per row; ORDER BY takes row locks in
			// one order, so concurrent writers cannot deadlock on them.
			`CREATE FUNCTION plaza_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF TG_OP = 'INSERT' THEN
					INSERT INTO search_words AS w (word, docs)
					SELECT word, count(*) FROM (SELECT unnest(tsvector_to_array(document)) AS word FROM new_docs) c
					GROUP BY word ORDER BY word
					ON CONFLICT (word) DO UPDATE SET docs = w.docs + excluded.docs;
				ELSIF TG_OP = 'DELETE' THEN
					UPDATE search_words AS w SET docs = w.docs - c.n
					FROM (SELECT word, count(*) AS n FROM (SELECT unnest(tsvector_to_array(document)) AS word FROM old_docs) o
						GROUP BY word ORDER BY word) c
					WHERE w.word = c.word;
				ELSE
					INSERT INTO search_words AS w (word, docs)
					SELECT word, sum(delta) FROM (
						SELECT unnest(tsvector_to_array(document)) AS word, 1 AS delta FROM new_docs
						UNION ALL SELECT unnest(tsvector_to_array(document)), -1 FROM old_docs) c
					GROUP BY word HAVING sum(delta) <> 0 ORDER BY word
					ON CONFLICT (word) DO UPDATE SET docs = w.docs + excluded.docs;
				END IF;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER search_words_insert AFTER INSERT ON search_docs REFERENCING NEW TABLE AS new_docs
			FOR EACH STATEMENT EXECUTE FUNCTION plaza_search_words()`,
			`CREATE TRIGGER search_words_update AFTER UPDATE ON search_docs REFERENCING OLD TABLE AS old_docs NEW TABLE AS new_docs
			FOR EACH STATEMENT EXECUTE FUNCTION plaza_search_words()`,
			`CREATE TRIGGER search_words_delete AFTER DELETE ON search_docs REFERENCING OLD TABLE AS old_docs
			FOR EACH STATEMENT EXECUTE FUNCTION plaza_search_words()`,
			`CREATE FUNCTION plaza_search_domain_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				UPDATE search_docs SET owner = NEW.name || ' ' || t.name FROM teams t
				WHERE t.id = search_docs.team_id AND search_docs.domain_id = NEW.id;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER search_domain_renamed AFTER UPDATE OF name ON domains
			FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION plaza_search_domain_renamed()`,
			`CREATE FUNCTION plaza_search_team_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				UPDATE search_docs SET owner = dm.name || ' ' || NEW.name FROM domains dm
				WHERE dm.id = search_docs.domain_id AND search_docs.team_id = NEW.id;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER search_team_renamed AFTER UPDATE OF name ON teams
			FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION plaza_search_team_renamed()`,
			`CREATE FUNCTION plaza_search_term_changed() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				UPDATE search_docs SET glossary = ` + glossaryOf + `
				WHERE product_id IN (` + affectedByTerm + `);
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER search_term_changed AFTER UPDATE OF name, synonyms ON glossary_terms
			FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.synonyms IS DISTINCT FROM NEW.synonyms)
			EXECUTE FUNCTION plaza_search_term_changed()`,
		}
	default:
		const cols = `name, summary, tags, description, fields, glossary, owner`
		const oldCols = `old.name, old.summary, old.tags, old.description, old.fields, old.glossary, old.owner`
		const newCols = `new.name, new.summary, new.tags, new.description, new.fields, new.glossary, new.owner`
		stmts = []string{
			`CREATE TABLE search_docs (
				product_id INTEGER PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
				domain_id INTEGER NOT NULL,
				team_id INTEGER NOT NULL,
				status TEXT NOT NULL,
				classification TEXT NOT NULL,
				sort_name TEXT NOT NULL,
				updated_at DATETIME NOT NULL,
				usage_score INTEGER NOT NULL DEFAULT 0,
				name TEXT NOT NULL DEFAULT '',
				summary TEXT NOT NULL DEFAULT '',
				tags TEXT NOT NULL DEFAULT '',
				description TEXT NOT NULL DEFAULT '',
				fields TEXT NOT NULL DEFAULT '',
				glossary TEXT NOT NULL DEFAULT '',
				owner TEXT NOT NULL DEFAULT ''
			)`,
			// External content: the text lives once, in search_docs. Prefix
			// indexes make two- and three-letter prefixes (typing "or")
			// cheap; diacritics are kept so that SQLite and Postgres agree.
			`CREATE VIRTUAL TABLE search_fts USING fts5(` + cols + `,
				content='search_docs', content_rowid='product_id',
				tokenize='unicode61 remove_diacritics 0', prefix='2 3')`,
			`CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row')`,
			// What a search reads of each match, narrow and in product order:
			// searches join FTS5's matches with it rather than with the wide
			// rows of search_docs.
			`CREATE INDEX idx_search_docs_facets ON search_docs
				(product_id, domain_id, team_id, status, classification, updated_at, sort_name, usage_score)`,
			`CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs BEGIN
				INSERT INTO search_fts(rowid, ` + cols + `) VALUES (new.product_id, ` + newCols + `);
			END`,
			`CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
				INSERT INTO search_fts(search_fts, rowid, ` + cols + `) VALUES ('delete', old.product_id, ` + oldCols + `);
			END`,
			`CREATE TRIGGER search_docs_update AFTER UPDATE OF ` + cols + ` ON search_docs
			WHEN old.name IS NOT new.name OR old.summary IS NOT new.summary OR old.tags IS NOT new.tags
				OR old.description IS NOT new.description OR old.fields IS NOT new.fields
				OR old.glossary IS NOT new.glossary OR old.owner IS NOT new.owner
			BEGIN
				INSERT INTO search_fts(search_fts, rowid, ` + cols + `) VALUES ('delete', old.product_id, ` + oldCols + `);
				INSERT INTO search_fts(rowid, ` + cols + `) VALUES (new.product_id, ` + newCols + `);
			END`,
			`CREATE TRIGGER search_domain_renamed AFTER UPDATE OF name ON domains WHEN old.name IS NOT new.name BEGIN
				UPDATE search_docs SET owner = new.name || ' ' || (SELECT t.name FROM teams t WHERE t.id = search_docs.team_id)
				WHERE domain_id = new.id;
			END`,
			`CREATE TRIGGER search_team_renamed AFTER UPDATE OF name ON teams WHEN old.name IS NOT new.name BEGIN
				UPDATE search_docs SET owner = (SELECT dm.name FROM domains dm WHERE dm.id = search_docs.domain_id) || ' ' || new.name
				WHERE team_id = new.id;
			END`,
			`CREATE TRIGGER search_term_changed AFTER UPDATE OF name, synonyms ON glossary_terms
			WHEN old.name IS NOT new.name OR old.synonyms IS NOT new.synonyms BEGIN
				UPDATE search_docs SET glossary = ` + glossaryOf + `
				WHERE product_id IN (` + affectedByTerm + `);
			END`,
		}
	}
	stmts = append(stmts,
		`CREATE INDEX idx_search_docs_domain ON search_docs (domain_id)`,
		`CREATE INDEX idx_search_docs_team ON search_docs (team_id)`,
		`CREATE INDEX idx_search_docs_updated ON search_docs (updated_at)`,
		`CREATE INDEX idx_search_docs_name ON search_docs (sort_name)`,
		`CREATE INDEX idx_search_docs_usage ON search_docs (usage_score)`,
		`INSERT INTO search_docs (product_id, domain_id, team_id, status, classification, sort_name, updated_at,
			name, summary, tags, description, fields, glossary, owner) `+docSelect+` WHERE true`,
	)
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// migrateSearchCache prepares the search index for searches that filter,
// count and sort in memory: search_state.version counts writes to the
// index, and each row carries the version that last wrote it, so a search
// reads only what changed since its cache was filled. The indexes for
// sorting and filtering in SQL go. On Postgres the text and tsvector move
// out of line, so the heap a search reads ids from stays small, and the GIN
// index stops keeping a pending list that every search would scan.
func migrateSearchCache(tx *gorm.DB) error {
	stmts := []string{
		`CREATE TABLE search_state (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)`,
		`INSERT INTO search_state (id, version) VALUES (1, 0)`,
		`ALTER TABLE search_docs ADD COLUMN version BIGINT NOT NULL DEFAULT 0`,
		`CREATE INDEX idx_search_docs_version ON search_docs (version)`,
		`DROP INDEX idx_search_docs_updated`,
		`DROP INDEX idx_search_docs_name`,
		`DROP INDEX idx_search_docs_usage`,
	}
	switch Dialect(tx) {
	case "postgres":
		stmts = append(stmts,
			`ALTER TABLE search_docs SET (toast_tuple_target = 128)`,
			`ALTER TABLE search_docs ALTER COLUMN name SET STORAGE EXTERNAL, ALTER COLUMN summary SET STORAGE EXTERNAL,
				ALTER COLUMN tags SET STORAGE EXTERNAL, ALTER COLUMN description SET STORAGE EXTERNAL,
				ALTER COLUMN fields SET STORAGE EXTERNAL, ALTER COLUMN glossary SET STORAGE EXTERNAL,
				ALTER COLUMN owner SET STORAGE EXTERNAL, ALTER COLUMN document SET STORAGE EXTERNAL`,
			`UPDATE search_docs SET version = 0`, // rewrites the rows with the storage above
			`ALTER INDEX idx_search_docs_document SET (fastupdate = off)`,
			`SELECT gin_clean_pending_list('idx_search_docs_document')`,
			// As in 0003, and a deletion now bumps the version, so that
			// searches notice rows gone.
			`CREATE OR REPLACE FUNCTION plaza_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF TG_OP = 'INSERT' THEN
					INSERT INTO search_words AS w (word, docs)
					SELECT word, count(*) FROM (SELECT unnest(tsvector_to_array(document)) AS word FROM new_docs) c
					GROUP BY word ORDER BY word
					ON CONFLICT (word) DO UPDATE SET docs = w.docs + excluded.docs;
				ELSIF TG_OP = 'DELETE' THEN
					UPDATE search_state SET version = version + 1;
					UPDATE search_words AS w SET docs = w.docs - c.n
					FROM (SELECT word, count(*) AS n FROM (SELECT unnest(tsvector_to_array(document)) AS word FROM old_docs) o
						GROUP BY word ORDER BY word) c
					WHERE w.word = c.word;
				ELSE
					INSERT INTO search_words AS w (word, docs)
					SELECT word, sum(delta) FROM (
						SELECT unnest(tsvector_to_array(document)) AS word, 1 AS delta FROM new_docs
						UNION ALL SELECT unnest(tsvector_to_array(document)), -1 FROM old_docs) c
					GROUP BY word HAVING sum(delta) <> 0 ORDER BY word
					ON CONFLICT (word) DO UPDATE SET docs = w.docs + excluded.docs;
				END IF;
				RETURN NULL;
			END $$`,
		)
	default:
		const cols = `name, summary, tags, description, fields, glossary, owner`
		const oldCols = `old.name, old.summary, old.tags, old.description, old.fields, old.glossary, old.owner`
		stmts = append(stmts,
			`DROP INDEX idx_search_docs_facets`,
			`DROP TRIGGER search_docs_delete`,
			`CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
				INSERT INTO search_fts(search_fts, rowid, `+cols+`) VALUES ('delete', old.product_id, `+oldCols+`);
				UPDATE search_state SET version = version + 1;
			END`,
		)
	}
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return fmt.Errorf("search cache: %w", err)
		}
	}
	return nil
}
