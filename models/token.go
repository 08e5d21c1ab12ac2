package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// APIToken is a personal access token for /api/v1. Only its SHA-256 is kept;
// the secret is shown once, when created.
type APIToken struct {
	ID         uint   `gorm:"primaryKey"`
	UserID     uint   `gorm:"not null;index"`
	User       User   `gorm:"constraint:OnDelete:CASCADE"`
	Name       string `gorm:"size:80;not null"`
	Prefix     string `gorm:"size:16;not null"` // shown in listings to tell tokens apart
	Hash       string `gorm:"size:64;not null;uniqueIndex"`
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

func (t *APIToken) auditRef() (string, string) { return "token", t.Prefix }
func (t *APIToken) auditState() any {
	return map[string]any{"name": t.Name, "prefix": t.Prefix, "revoked": t.RevokedAt != nil}
}

// tokenPrefix starts every Plaza token, so secret scanners can spot one.
const tokenPrefix = "plz_"

// NewSecret returns n random bytes as lower-case base32 text.
func NewSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// HashSecret returns the hex SHA-256 of a secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token for u and returns it with its secret, which is
// never stored and cannot be shown again.
func (s *Store) CreateToken(ctx context.Context, u *User, name string) (*APIToken, string, error) {
	if err := Authorize(u, ActManageOwnToken, nil); err != nil {
		return nil, "", err
	}
	name = strings.TrimSpace(name)
	v := &ValidationError{}
	checkText(v, "name", "Name", name, true, 80)
	if err := v.OrNil(); err != nil {
		return nil, "", err
	}
	secret := tokenPrefix + NewSecret(20)
	t := &APIToken{UserID: u.ID, Name: name, Prefix: secret[:len(tokenPrefix)+6], Hash: HashSecret(secret)}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit("User").Create(t).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "token.create", t, nil, t)
	})
	if err != nil {
		return nil, "", fmt.Errorf("create token: %w", err)
	}
	return t, secret, nil
}

// Tokens lists u's tokens, newest first, revoked ones included.
func (s *Store) Tokens(ctx context.Context, userID uint) ([]APIToken, error) {
	var ts []APIToken
	if err := s.db(ctx).Where("user_id = ?", userID).Order("id DESC").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken ends one of u's tokens at once.
func (s *Store) RevokeToken(ctx context.Context, u *User, id uint) error {
	if err := Authorize(u, ActManageOwnToken, nil); err != nil {
		return err
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t APIToken
		if err := tx.Where("id = ? AND user_id = ?", id, u.ID).First(&t).Error; err != nil {
			return notFound(err)
		}
		if t.RevokedAt != nil {
			return nil
		}
		before := t
		now := s.now()
		t.RevokedAt = &now
		if err := tx.Model(&t).Update("revoked_at", now).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "token.revoke", &t, &before, &t)
	})
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	return nil
}

// UserByToken returns the active owner of a live token and marks it used.
func (s *Store) UserByToken(ctx context.Context, secret string) (*User, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, fmt.Errorf("token: %w", ErrUnauthenticated)
	}
	var t APIToken
	err := s.db(ctx).Joins("User").Where("api_tokens.hash = ?", HashSecret(secret)).First(&t).Error
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("token: %w", ErrUnauthenticated)
		}
		return nil, fmt.Errorf("token: %w", err)
	}
	if t.RevokedAt != nil || !t.User.Active() {
		return nil, fmt.Errorf("token %s is revoked or its owner deactivated: %w", t.Prefix, ErrUnauthenticated)
	}
	now := s.now()
	// Record use at minute granularity so a busy client does not write on every call.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.db(ctx).Model(&APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now).Error; err != nil {
			return nil, fmt.Errorf("token last use: %w", err)
		}
	}
	return &t.User, nil
}
