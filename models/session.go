package models

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SessionLifetime is how long a browser session lasts after sign-in.
const SessionLifetime = 7 * 24 * time.Hour

// ErrSessionExpired is returned for a session that ran out of time.
var ErrSessionExpired = fmt.Errorf("session expired: %w", ErrUnauthenticated)

// Session is a signed-in browser. The cookie carries a secret (itself
// signed and encrypted); the table keeps its hash, so signing out or
// deactivating a person ends the session on the server, not only in the browser.
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

// CreateSession starts a session for u and returns its secret.
func (s *Store) CreateSession(ctx context.Context, u *User, provider string) (string, error) {
	secret := NewSecret(32)
	now := s.now()
	sess := Session{Hash: HashSecret(secret), UserID: u.ID, Provider: provider, ExpiresAt: now.Add(SessionLifetime), LastSeenAt: now}
	if err := s.db(ctx).Omit("User").Create(&sess).Error; err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return secret, nil
}

// UserBySession returns the active user of a live session.
func (s *Store) UserBySession(ctx context.Context, secret string) (*User, error) {
	var sess Session
	err := s.db(ctx).Joins("User").Where("sessions.hash = ?", HashSecret(secret)).First(&sess).Error
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("session: %w", ErrUnauthenticated)
		}
		return nil, fmt.Errorf("session: %w", err)
	}
	now := s.now()
	if now.After(sess.ExpiresAt) {
		return nil, ErrSessionExpired
	}
	if !sess.User.Active() {
		return nil, fmt.Errorf("%s is deactivated: %w", sess.User.Email, ErrUnauthenticated)
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.db(ctx).Model(&Session{}).Where("id = ?", sess.ID).Update("last_seen_at", now).Error; err != nil {
			return nil, fmt.Errorf("session last seen: %w", err)
		}
	}
	return &sess.User, nil
}

// EndSession signs a browser out; ending an unknown session is not an error.
func (s *Store) EndSession(ctx context.Context, secret string) error {
	err := s.db(ctx).Where("hash = ?", HashSecret(secret)).Delete(&Session{}).Error
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res := s.db(ctx).Where("expires_at < ?", s.now()).Delete(&Session{})
	return res.RowsAffected, res.Error
}

// IsUnauthenticated reports whether err means "sign in (again)".
func IsUnauthenticated(err error) bool { return errors.Is(err, ErrUnauthenticated) }
