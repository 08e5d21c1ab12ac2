package models

import (
	"context"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Store is the one door to Plaza's metadata. Its methods take a context and
// return wrapped errors; state changes and their audit events share a
// transaction.
type Store struct {
	DB  *gorm.DB
	Now func() time.Time

	// Mail, when set, makes every notification also an email in the
	// outbox, written in the same transaction; OnMail is then called after
	// the transaction commits, to wake the sender.
	Mail   bool
	OnMail func()

	searchOnce sync.Once
	search     *searchCache // facet and sort fields of every product, kept fresh by version
}

// NewStore wraps db with the wall clock.
func NewStore(db *gorm.DB) *Store {
	return &Store{DB: db, Now: func() time.Time { return time.Now().UTC() }}
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Store) db(ctx context.Context) *gorm.DB {
	return s.DB.WithContext(ctx)
}

type ctxKey int

const requestIDKey ctxKey = iota

// WithRequestID returns ctx carrying the id of the request that caused a change,
// so audit events can name it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// notFound turns gorm's record-not-found into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// isDuplicate reports whether err is a unique-constraint violation.
func isDuplicate(err error) bool {
	return errors.Is(err, gorm.ErrDuplicatedKey)
}

// Page is one page of a listing.
type Page struct {
	Number int // 1-based
	Size   int
	Total  int64
}

// Offset is the number of rows before this page.
func (p Page) Offset() int { return (p.Number - 1) * p.Size }

// Pages is the number of pages, at least 1.
func (p Page) Pages() int {
	if p.Size <= 0 || p.Total == 0 {
		return 1
	}
	return int((p.Total + int64(p.Size) - 1) / int64(p.Size))
}

// NewPage clamps a requested page number and size to sane bounds.
func NewPage(number, size int) Page {
	if size <= 0 || size > 200 {
		size = 50
	}
	if number < 1 {
		number = 1
	}
	return Page{Number: number, Size: size}
}

func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, gorm.ErrRecordNotFound)
}
