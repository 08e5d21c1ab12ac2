// Package query renders the federated query workbench: the SQL editor,
// the schema browser of the products the reader may query, results, query
// history and saved queries, and the admins' log of every query.
package query

import (
	"time"

	"plaza/lake"
)

// Table is one view the reader may query: a product's output port, as
// SQL names it ("sales.orders", "sales.orders_daily").
type Table struct {
	View           string // what SQL reads
	Product        string // the product's display name
	ProductPath    string // its page
	Domain         string // domain display name
	Port           string
	Classification string
	Basis          string // why the reader may: "team", "open" (no request needed) or "grant"
	GrantExpires   *time.Time
	Snapshot       string // the current snapshot's name
	SnapshotAt     time.Time
	Rows           int64
	Columns        []Column
}

// Column is a column of a Table as its contract describes it.
type Column struct {
	Name        string
	Type        string // the contract's logical type
	Description string
}

// Read is one product a query read, and the snapshot it resolved to.
type Read struct {
	View        string
	Product     string
	ProductPath string
	Port        string
	Snapshot    string
	SnapshotAt  time.Time
	Pinned      bool   // the SQL asked for this snapshot (view@snapshot or @time)
	Basis       string // "team", "open" or "grant"
}

// Result is what a run of the workbench shows.
type Result struct {
	QueryID  uint
	SQL      string
	Columns  []lake.Column
	Rows     [][]any // at most the first MaxRows
	RowCount int64   // rows shown (the sandbox stops at its row limit)
	More     bool    // the result has more rows than shown: export for all
	Duration time.Duration
	Reads    []Read

	// When it failed: the message (DuckDB's, with LINE/caret position
	// where DuckDB gives one), and for a missing grant the product and the
	// page to request it on.
	Error      string
	ErrorKind  string // "sql", "limit", "access", "busy", "cancelled", "input"
	AccessName string // "sales.orders" when ErrorKind is "access"
	AccessPath string // its product page (the request form)
}

// HistoryItem is one of the reader's past queries.
type HistoryItem struct {
	ID         uint
	SQL        string
	Status     string // running, succeeded, failed, cancelled, refused
	Rows       int64
	Duration   time.Duration
	StartedAt  time.Time
	Products   []string // views read
	Error      string
	SavedName  string // when it ran from a saved query
	SavedToken string
}

// Saved is a saved query: a name, its SQL, and a shareable link.
type Saved struct {
	Token     string // the link is /query/s/<token>
	Name      string
	SQL       string
	Author    string
	Mine      bool
	UpdatedAt time.Time
}

// Workbench is the query page.
type Workbench struct {
	SQL     string  // the editor's text when the page opens ("" keeps what the browser stored)
	Tables  []Table // the schema browser
	History []HistoryItem
	Saved   []Saved
	Opened  *Saved // a shared query opened by link: shown, and run at once with the reader's own grants
	Limits  Limits
}

// Limits tell the reader what bounds a query.
type Limits struct {
	Timeout    time.Duration
	MaxRows    int
	Memory     string
	Concurrent int // queries one person may run at once
}

// AuditRow is one query in the admins' log.
type AuditRow struct {
	HistoryItem
	User      string
	UserEmail string
	Source    string // browser or api
	Reads     []Read
}
