package models

// The audit log is hash-chained: each event stores the SHA-256 of its own
// contents together with the hash of the event before it. Changing,
// removing or inserting an event anywhere breaks the chain from that point
// on, which VerifyAudit finds even when someone with database access has
// lifted the append-only triggers.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// computeHash is the hash of the event's contents and of PrevHash. The
// fields are encoded as one JSON array, so no two different events share
// an encoding. The time is taken to the microsecond, the precision both
// databases keep.
func (ev *AuditEvent) computeHash() string {
	actor := ""
	if ev.ActorID != nil {
		actor = strconv.FormatUint(uint64(*ev.ActorID), 10)
	}
	b, _ := json.Marshal([]string{
		ev.PrevHash, ev.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), actor, ev.ActorEmail,
		ev.Action, ev.ObjectType, ev.ObjectID, ev.Before, ev.After, ev.RequestID,
	})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// appendAudit links ev to the newest event and writes it. Appends are
// serialized: SQLite runs one write transaction at a time, and on Postgres
// the transaction locks the chain's head row until it commits.
func (s *Store) appendAudit(tx *gorm.DB, ev *AuditEvent) error {
	pg := Dialect(tx) == "postgres"
	if pg {
		if err := tx.Raw(`SELECT hash FROM audit_head WHERE id = 1 FOR UPDATE`).Scan(&ev.PrevHash).Error; err != nil {
			return err
		}
	} else {
		var last []string
		if err := tx.Model(&AuditEvent{}).Order("id DESC").Limit(1).Pluck("hash", &last).Error; err != nil {
			return err
		}
		if len(last) > 0 {
			ev.PrevHash = last[0]
		}
	}
	ev.Hash = ev.computeHash()
	if err := tx.Create(ev).Error; err != nil {
		return err
	}
	if pg {
		return tx.Exec(`UPDATE audit_head SET hash = ? WHERE id = 1`, ev.Hash).Error
	}
	return nil
}

// AuditVerification is what VerifyAudit found.
type AuditVerification struct {
	Checked int    // events checked
	OK      bool   // the whole chain holds
	BadID   uint   // the first event that does not fit, when !OK
	Reason  string // why it does not fit
	LastID  uint   // the newest event checked
}

// VerifyAudit walks the whole audit log in order and recomputes every hash.
// It stops at the first event whose contents do not match its hash, or
// whose link does not match the event before it (an event changed, removed
// or inserted there). Only admins may run it from the app; the command line
// passes a nil actor with system set.
func (s *Store) VerifyAudit(ctx context.Context, actor *User) (*AuditVerification, error) {
	if actor != nil {
		if err := Authorize(actor, ActViewAudit, nil); err != nil {
			return nil, err
		}
	}
	res := &AuditVerification{OK: true}
	prev := ""
	for {
		var evs []AuditEvent
		if err := s.db(ctx).Where("id > ?", res.LastID).Order("id").Limit(1000).Find(&evs).Error; err != nil {
			return nil, fmt.Errorf("verify audit: %w", err)
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			ev := &evs[i]
			res.Checked++
			switch {
			case ev.PrevHash != prev:
				res.OK, res.BadID = false, ev.ID
				res.Reason = "its link to the event before does not match: an event before it was changed, removed or inserted"
			case ev.computeHash() != ev.Hash:
				res.OK, res.BadID = false, ev.ID
				res.Reason = "its contents do not match its hash: this event was changed"
			}
			if !res.OK {
				return res, nil
			}
			prev = ev.Hash
			res.LastID = ev.ID
		}
	}
	if Dialect(s.DB) == "postgres" {
		var head string
		if err := s.db(ctx).Raw(`SELECT hash FROM audit_head WHERE id = 1`).Scan(&head).Error; err != nil {
			return nil, fmt.Errorf("verify audit: %w", err)
		}
		if head != prev {
			res.OK, res.BadID = false, res.LastID
			res.Reason = "the newest events were removed: the chain's head does not match the last event"
		}
	}
	return res, nil
}
