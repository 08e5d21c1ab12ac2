package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Notification tells a person that something happened that concerns them:
// a request to decide, a decision, a grant ending.
type Notification struct {
	ID        uint   `gorm:"primaryKey"`
	UserID    uint   `gorm:"not null;index:idx_notification_user"`
	Kind      string `gorm:"size:32;not null"`
	Title     string `gorm:"size:300;not null"`
	Body      string `gorm:"type:text"`
	Link      string `gorm:"size:500"`
	CreatedAt time.Time
	ReadAt    *time.Time `gorm:"index:idx_notification_user"`
}

// MailOutbox is an email waiting to be sent. Rows are written in the same
// transaction as the change they tell about, so a change is never without
// its email nor an email without its change; the mail job sends them and
// marks them sent.
type MailOutbox struct {
	ID            uint   `gorm:"primaryKey"`
	To            string `gorm:"column:to_email;size:254;not null"`
	Subject       string `gorm:"size:300;not null"`
	Body          string `gorm:"type:text;not null"`
	CreatedAt     time.Time
	NextAttemptAt time.Time  `gorm:"index"`
	Attempts      int        `gorm:"not null;default:0"`
	LastError     string     `gorm:"size:1000"`
	SentAt        *time.Time `gorm:"index"`
}

// TableName keeps the outbox's table name singular.
func (MailOutbox) TableName() string { return "mail_outboxes" }

// notifyUsers writes n for each of userIDs (deactivated people excepted)
// inside tx, and an email for each when mail is on.
func (s *Store) notifyUsers(ctx context.Context, tx *gorm.DB, userIDs []uint, n Notification) error {
	if len(userIDs) == 0 {
		return nil
	}
	var users []User
	if err := tx.Where("id IN ? AND deactivated_at IS NULL", userIDs).Order("id").Find(&users).Error; err != nil {
		return err
	}
	now := s.now()
	for _, u := range users {
		row := n
		row.ID, row.UserID, row.CreatedAt = 0, u.ID, now
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		if !s.Mail {
			continue
		}
		body := n.Title + "\n"
		if n.Body != "" {
			body += "\n" + n.Body + "\n"
		}
		if n.Link != "" {
			body += "\nOpen it in Plaza: " + n.Link + "\n"
		}
		mail := MailOutbox{To: u.Email, Subject: "[Plaza] " + n.Title, Body: body, CreatedAt: now, NextAttemptAt: now}
		if err := tx.Create(&mail).Error; err != nil {
			return fmt.Errorf("queue mail: %w", err)
		}
	}
	return nil
}

// mailQueued wakes the mail sender after a transaction that may have
// queued mail has committed.
func (s *Store) mailQueued() {
	if s.Mail && s.OnMail != nil {
		s.OnMail()
	}
}

// Notifications returns actor's newest notifications.
func (s *Store) Notifications(ctx context.Context, actor *User, limit int) ([]Notification, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	var out []Notification
	err := s.db(ctx).Where("user_id = ?", actor.ID).Order("id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// UnreadCount is the number of actor's unread notifications.
func (s *Store) UnreadCount(ctx context.Context, actor *User) (int64, error) {
	var n int64
	err := s.db(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", actor.ID).Count(&n).Error
	return n, err
}

// MarkRead marks one of actor's notifications read (id 0: all of them) and
// returns it.
func (s *Store) MarkRead(ctx context.Context, actor *User, id uint) (*Notification, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	q := s.db(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", actor.ID)
	if id == 0 {
		return nil, q.Update("read_at", s.now()).Error
	}
	var n Notification
	if err := s.db(ctx).Where("id = ? AND user_id = ?", id, actor.ID).First(&n).Error; err != nil {
		return nil, fmt.Errorf("notification %d: %w", id, notFound(err))
	}
	if n.ReadAt == nil {
		now := s.now()
		if err := q.Where("id = ?", id).Update("read_at", now).Error; err != nil {
			return nil, err
		}
		n.ReadAt = &now
	}
	return &n, nil
}

// Mail is an email to send.
type Mail struct {
	ID      uint
	To      string
	Subject string
	Body    string
}

// ErrPermanent marks a send failure that retrying cannot fix (an address
// the server refuses): the email is given up at once.
var ErrPermanent = errors.New("permanent failure")

// mailLease is how long a claimed email stays with the sender that claimed
// it; if that sender dies before marking it sent, another takes it after.
const mailLease = 5 * time.Minute

// DeliverMail sends the emails that are due, oldest first, with send. An
// email is claimed in a short transaction (locked on Postgres, so two
// instances never take the same one), sent outside any transaction, then
// marked sent. A failed send is retried with backoff, up to 8 attempts; an
// ErrPermanent failure is given up at once. An email is sent twice only if
// the process dies between the mail server accepting it and the mark.
// baseURL prefixes the links in bodies.
func (s *Store) DeliverMail(ctx context.Context, baseURL string, send func(context.Context, Mail) error) (sent int, err error) {
	for ctx.Err() == nil {
		var m MailOutbox
		now := s.now()
		claimed := false
		err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			res := lockForUpdate(tx).Where("sent_at IS NULL AND attempts < 8 AND next_attempt_at <= ?", now).
				Order("id").Limit(1).Find(&m)
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			claimed = true
			m.Attempts++
			return tx.Model(&MailOutbox{}).Where("id = ?", m.ID).
				Updates(map[string]any{"attempts": m.Attempts, "next_attempt_at": now.Add(mailLease)}).Error
		})
		if err != nil {
			return sent, fmt.Errorf("deliver mail: %w", err)
		}
		if !claimed {
			return sent, nil
		}
		body := strings.ReplaceAll(m.Body, "Open it in Plaza: /", "Open it in Plaza: "+strings.TrimRight(baseURL, "/")+"/")
		sendErr := send(ctx, Mail{ID: m.ID, To: m.To, Subject: m.Subject, Body: body})
		update := map[string]any{"sent_at": s.now()}
		if sendErr != nil {
			msg := sendErr.Error()
			if len(msg) > 1000 {
				msg = msg[:1000]
			}
			// Retry 2, 4, 8 ... minutes after this attempt.
			update = map[string]any{"last_error": msg, "next_attempt_at": now.Add(time.Duration(1<<m.Attempts) * time.Minute)}
			if errors.Is(sendErr, ErrPermanent) {
				update["attempts"] = 8
			}
		}
		if err := s.db(context.WithoutCancel(ctx)).Model(&MailOutbox{}).Where("id = ?", m.ID).Updates(update).Error; err != nil {
			return sent, fmt.Errorf("deliver mail %d: %w", m.ID, err)
		}
		if sendErr == nil {
			sent++
		}
	}
	return sent, ctx.Err()
}

// MailStatus counts the outbox: waiting, sent, given up.
func (s *Store) MailStatus(ctx context.Context) (waiting, sent, failed int64, err error) {
	db := s.db(ctx).Model(&MailOutbox{})
	if err = db.Where("sent_at IS NULL AND attempts < 8").Count(&waiting).Error; err != nil {
		return
	}
	if err = s.db(ctx).Model(&MailOutbox{}).Where("sent_at IS NOT NULL").Count(&sent).Error; err != nil {
		return
	}
	err = s.db(ctx).Model(&MailOutbox{}).Where("sent_at IS NULL AND attempts >= 8").Count(&failed).Error
	return
}
