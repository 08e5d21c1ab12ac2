package models

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// AuditEvent records one change: who, what, which object, before and after,
// when, and the request that caused it. Events are append-only: the app has
// no path that edits or deletes them, and the database refuses it too
// (triggers installed by the migrations).
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
	PrevHash   string    `gorm:"size:64;not null"` // Hash of the event before this one; "" for the first
	Hash       string    `gorm:"size:64;not null"` // see computeHash
}

// auditable is an object the audit log can name and describe.
type auditable interface {
	auditRef() (objectType, objectID string)
	auditState() any
}

func (d *Domain) auditRef() (string, string) { return "domain", d.Slug }
func (d *Domain) auditState() any {
	return map[string]any{"slug": d.Slug, "name": d.Name, "description": d.Description,
		"contact_email": d.ContactEmail, "archived": d.Archived()}
}

func (t *Team) auditRef() (string, string) { return "team", t.Domain.Slug + "/" + t.Slug }
func (t *Team) auditState() any {
	return map[string]any{"domain": t.Domain.Slug, "slug": t.Slug, "name": t.Name,
		"description": t.Description, "archived": t.Archived()}
}

func (u *User) auditRef() (string, string) { return "user", u.Email }
func (u *User) auditState() any {
	return map[string]any{"email": u.Email, "name": u.Name, "admin": u.IsAdmin, "active": u.Active()}
}

// audit writes an event about obj inside tx. before or after may be nil
// (creation, deletion).
func (s *Store) audit(ctx context.Context, tx *gorm.DB, actor *User, action string, obj auditable, before, after auditable) error {
	typ, id := obj.auditRef()
	var b, a any
	if before != nil {
		b = before.auditState()
	}
	if after != nil {
		a = after.auditState()
	}
	return s.auditObject(ctx, tx, actor, action, typ, id, b, a)
}

// auditObject writes an event about any object inside tx.
func (s *Store) auditObject(ctx context.Context, tx *gorm.DB, actor *User, action, objType, objID string, before, after any) error {
	ev := AuditEvent{
		At: s.now().Truncate(time.Microsecond), Action: action, ObjectType: objType, ObjectID: objID,
		ActorEmail: "system", RequestID: RequestID(ctx),
	}
	if actor != nil {
		ev.ActorID = &actor.ID
		ev.ActorEmail = actor.Email
	}
	var err error
	if ev.Before, err = jsonText(before); err != nil {
		return err
	}
	if ev.After, err = jsonText(after); err != nil {
		return err
	}
	if err := s.appendAudit(tx, &ev); err != nil {
		return fmt.Errorf("write audit event %s: %w", action, err)
	}
	return nil
}

func jsonText(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode audit state: %w", err)
	}
	return string(b), nil
}

// AuditFilter narrows the audit log. Empty fields match everything.
type AuditFilter struct {
	Actor      string // part of the actor's email
	Action     string // an action or its prefix: "domain" matches domain.create
	ObjectType string
	Object     string // part of the object id
	Product    string // domain/product: the product's own events and those of its requests and grants
	Since      time.Time
	Until      time.Time
}

// ListAudit returns one page of events, newest first. Only admins may.
func (s *Store) ListAudit(ctx context.Context, actor *User, f AuditFilter, page Page) ([]AuditEvent, Page, error) {
	if err := Authorize(actor, ActViewAudit, nil); err != nil {
		return nil, page, err
	}
	q := s.auditQuery(ctx, f)
	if err := q.Count(&page.Total).Error; err != nil {
		return nil, page, fmt.Errorf("count audit events: %w", err)
	}
	var evs []AuditEvent
	if err := q.Order("id DESC").Offset(page.Offset()).Limit(page.Size).Find(&evs).Error; err != nil {
		return nil, page, fmt.Errorf("list audit events: %w", err)
	}
	return evs, page, nil
}

// EachAudit calls fn for every event f matches, oldest first, reading in
// batches so an export of the whole log never sits in memory. Only admins may.
func (s *Store) EachAudit(ctx context.Context, actor *User, f AuditFilter, fn func(*AuditEvent) error) error {
	if err := Authorize(actor, ActViewAudit, nil); err != nil {
		return err
	}
	var last uint
	for {
		var evs []AuditEvent
		if err := s.auditQuery(ctx, f).Where("id > ?", last).Order("id").Limit(500).Find(&evs).Error; err != nil {
			return fmt.Errorf("export audit events: %w", err)
		}
		if len(evs) == 0 {
			return nil
		}
		for i := range evs {
			if err := fn(&evs[i]); err != nil {
				return err
			}
			last = evs[i].ID
		}
	}
}

func (s *Store) auditQuery(ctx context.Context, f AuditFilter) *gorm.DB {
	q := s.db(ctx).Model(&AuditEvent{})
	if f.Actor != "" {
		q = q.Where(`actor_email LIKE ? ESCAPE '\'`, "%"+likeEscape(strings.ToLower(f.Actor))+"%")
	}
	if f.Action != "" {
		q = q.Where("action = ? OR action LIKE ?", f.Action, f.Action+".%")
	}
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if f.Object != "" {
		q = q.Where(`object_id LIKE ? ESCAPE '\'`, "%"+likeEscape(f.Object)+"%")
	}
	if f.Product != "" {
		q = q.Where(`object_id = ? OR object_id LIKE ? ESCAPE '\'`, f.Product, likeEscape(f.Product)+"#%")
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until.UTC())
	}
	return q
}

// AuditActions lists the distinct actions recorded, for filter menus.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db(ctx).Model(&AuditEvent{}).Distinct("action").Order("action").Pluck("action", &out).Error
	return out, err
}

// Change is one field an audit event changed, formatted for people.
type Change struct {
	Field  string
	Before string
	After  string
}

// Changes lists the fields whose value differs between Before and After,
// by name. A creation lists every field it set; a deletion every field it had.
func (e *AuditEvent) Changes() []Change {
	before, after := decodeState(e.Before), decodeState(e.After)
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []Change
	for _, k := range names {
		b, a := formatState(before[k]), formatState(after[k])
		if b != a {
			out = append(out, Change{Field: k, Before: b, After: a})
		}
	}
	return out
}

func decodeState(s string) map[string]any {
	m := map[string]any{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &m) // events are written by us; a bad one shows no changes
	}
	return m
}

func formatState(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		if v {
			return "yes"
		}
		return "no"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// likeEscape makes % and _ in user text match themselves in a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}
