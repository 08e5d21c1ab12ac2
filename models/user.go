package models

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm"
)

// User is a person who signs in to Plaza.
type User struct {
	ID            uint   `gorm:"primaryKey"`
	Email         string `gorm:"size:254;uniqueIndex;not null"`
	Name          string `gorm:"size:120;not null"`
	Title         string `gorm:"size:160"` // a one-line role, shown on the demo sign-in page
	IsAdmin       bool   `gorm:"not null;default:false"`
	DeactivatedAt *time.Time
	LastSeenAt    *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Active reports whether the user may sign in and act.
func (u *User) Active() bool { return u != nil && u.DeactivatedAt == nil }

// DisplayName is the name when known, else the email.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Identity links a user to an account at an identity provider.
type Identity struct {
	ID        uint   `gorm:"primaryKey"`
	UserID    uint   `gorm:"not null;index"`
	Provider  string `gorm:"size:64;not null;uniqueIndex:idx_identity_subject"`
	Subject   string `gorm:"size:255;not null;uniqueIndex:idx_identity_subject"`
	CreatedAt time.Time
}

// NormalizeEmail lower-cases and trims an address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validatePerson checks an email and a name as typed by a person.
func validatePerson(email, name string) error {
	v := &ValidationError{}
	if email == "" {
		v.Add("email", "Email is required.")
	} else if len(email) > 254 {
		v.Add("email", "Email must be at most 254 characters.")
	} else if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		v.Add("email", "Enter an email address like name@example.com.")
	}
	if len([]rune(name)) > 120 {
		v.Add("name", "Name must be at most 120 characters.")
	}
	return v.OrNil()
}

// UserByID loads a user.
func (s *Store) UserByID(ctx context.Context, id uint) (*User, error) {
	var u User
	if err := s.db(ctx).First(&u, id).Error; err != nil {
		return nil, fmt.Errorf("user %d: %w", id, notFound(err))
	}
	return &u, nil
}

// UserByEmail loads a user by address.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := s.db(ctx).Where("email = ?", NormalizeEmail(email)).First(&u).Error; err != nil {
		return nil, fmt.Errorf("user %s: %w", email, notFound(err))
	}
	return &u, nil
}

// PeopleFilter narrows the people listing.
type PeopleFilter struct {
	Query string // matches name or email
	Role  string // "", "admin", "deactivated"
}

// ListUsers lists people, admins and names first.
func (s *Store) ListUsers(ctx context.Context, f PeopleFilter, page Page) ([]User, Page, error) {
	q := s.db(ctx).Model(&User{})
	if f.Query != "" {
		like := "%" + strings.ToLower(f.Query) + "%"
		q = q.Where("LOWER(name) LIKE ? OR email LIKE ?", like, like)
	}
	switch f.Role {
	case "admin":
		q = q.Where("is_admin = ?", true)
	case "deactivated":
		q = q.Where("deactivated_at IS NOT NULL")
	}
	if err := q.Count(&page.Total).Error; err != nil {
		return nil, page, fmt.Errorf("count people: %w", err)
	}
	var users []User
	err := q.Order("name, email").Offset(page.Offset()).Limit(page.Size).Find(&users).Error
	if err != nil {
		return nil, page, fmt.Errorf("list people: %w", err)
	}
	return users, page, nil
}

// SearchUsers returns up to limit people whose name or email matches q, for pickers.
func (s *Store) SearchUsers(ctx context.Context, q string, limit int) ([]User, error) {
	users, _, err := s.ListUsers(ctx, PeopleFilter{Query: q}, NewPage(1, limit))
	return users, err
}

// PersonInput is what an admin types to add a person before their first sign-in.
type PersonInput struct {
	Email string `form:"email" json:"email"`
	Name  string `form:"name" json:"name"`
	Title string `form:"title" json:"title"`
}

// CreatePerson adds a person by email; they sign in later through SSO.
func (s *Store) CreatePerson(ctx context.Context, actor *User, in PersonInput) (*User, error) {
	if err := Authorize(actor, ActManagePeople, nil); err != nil {
		return nil, err
	}
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	in.Title = strings.TrimSpace(in.Title)
	if err := validatePerson(in.Email, in.Name); err != nil {
		return nil, err
	}
	u := &User{Email: in.Email, Name: in.Name, Title: in.Title}
	if u.Name == "" {
		u.Name = strings.Split(in.Email, "@")[0]
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			if isDuplicate(err) {
				return Invalid("email", "A person with this email already exists.")
			}
			return err
		}
		return s.audit(ctx, tx, actor, "user.create", u, nil, u)
	})
	if err != nil {
		return nil, fmt.Errorf("create person: %w", err)
	}
	return u, nil
}

// SetAdmin makes or unmakes an admin. An admin cannot unmake themselves, so
// the company is never left without one by accident.
func (s *Store) SetAdmin(ctx context.Context, actor *User, userID uint, admin bool) (*User, error) {
	if err := Authorize(actor, ActManagePeople, nil); err != nil {
		return nil, err
	}
	if !admin && actor.ID == userID {
		return nil, Invalid("admin", "You cannot remove your own admin role; ask another admin.")
	}
	return s.updateUser(ctx, actor, userID, func(u *User) (string, error) {
		u.IsAdmin = admin
		if admin {
			return "user.admin.grant", nil
		}
		return "user.admin.revoke", nil
	})
}

// SetActive deactivates or reactivates a person. A deactivated person
// cannot sign in, and their sessions and tokens stop working.
func (s *Store) SetActive(ctx context.Context, actor *User, userID uint, active bool) (*User, error) {
	if err := Authorize(actor, ActManagePeople, nil); err != nil {
		return nil, err
	}
	if !active && actor.ID == userID {
		return nil, Invalid("active", "You cannot deactivate yourself.")
	}
	now := s.now()
	return s.updateUser(ctx, actor, userID, func(u *User) (string, error) {
		if active {
			u.DeactivatedAt = nil
			return "user.reactivate", nil
		}
		u.DeactivatedAt = &now
		return "user.deactivate", nil
	})
}

func (s *Store) updateUser(ctx context.Context, actor *User, userID uint, change func(*User) (string, error)) (*User, error) {
	var after User
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before User
		if err := tx.First(&before, userID).Error; err != nil {
			return notFound(err)
		}
		after = before
		action, err := change(&after)
		if err != nil {
			return err
		}
		if err := tx.Select("is_admin", "deactivated_at", "updated_at").Save(&after).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, action, &after, &before, &after)
	})
	if err != nil {
		return nil, fmt.Errorf("update user %d: %w", userID, err)
	}
	return &after, nil
}

// SignInInput is what an identity provider (or the demo picker) tells us.
type SignInInput struct {
	Provider string
	Subject  string
	Email    string
	Name     string
}

// SignIn finds or creates the user behind an identity. adminEmails lists the
// addresses that become admins on first sign-in. A deactivated user is refused.
func (s *Store) SignIn(ctx context.Context, in SignInInput, adminEmails []string) (*User, error) {
	in.Email = NormalizeEmail(in.Email)
	if in.Email == "" {
		return nil, fmt.Errorf("sign in: the identity provider gave no email address: %w", ErrUnauthenticated)
	}
	var u User
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var id Identity
		err := tx.Where("provider = ? AND subject = ?", in.Provider, in.Subject).First(&id).Error
		switch {
		case err == nil:
			if err := tx.First(&u, id.UserID).Error; err != nil {
				return err
			}
		case isNotFound(err):
			err := tx.Where("email = ?", in.Email).First(&u).Error
			if isNotFound(err) {
				u = User{Email: in.Email, Name: strings.TrimSpace(in.Name), IsAdmin: contains(adminEmails, in.Email)}
				if u.Name == "" {
					u.Name = strings.Split(in.Email, "@")[0]
				}
				if err := tx.Create(&u).Error; err != nil {
					return err
				}
				if err := s.audit(ctx, tx, &u, "user.create", &u, nil, &u); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
			if err := tx.Create(&Identity{UserID: u.ID, Provider: in.Provider, Subject: in.Subject}).Error; err != nil {
				return err
			}
		default:
			return err
		}
		if !u.Active() {
			return fmt.Errorf("%s is deactivated: %w", u.Email, ErrUnauthenticated)
		}
		now := s.now()
		u.LastSeenAt = &now
		if u.Name == "" && in.Name != "" {
			u.Name = in.Name
		}
		return tx.Select("last_seen_at", "name").Save(&u).Error
	})
	if err != nil {
		return nil, fmt.Errorf("sign in %s: %w", in.Email, err)
	}
	return &u, nil
}

// EnsureUser returns the user with email, creating them when absent (an
// admin when listed in adminEmails). Used by the CLI's token command.
func (s *Store) EnsureUser(ctx context.Context, email, name string, adminEmails []string) (*User, error) {
	email = NormalizeEmail(email)
	if err := validatePerson(email, name); err != nil {
		return nil, err
	}
	u, err := s.UserByEmail(ctx, email)
	if err == nil {
		return u, nil
	}
	if !isNotFound(err) {
		return nil, err
	}
	u = &User{Email: email, Name: strings.TrimSpace(name), IsAdmin: contains(adminEmails, email)}
	if u.Name == "" {
		u.Name = strings.Split(email, "@")[0]
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "user.create", u, nil, u)
	})
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", email, err)
	}
	return u, nil
}

func contains(list []string, email string) bool {
	for _, e := range list {
		if NormalizeEmail(e) == email {
			return true
		}
	}
	return false
}
