package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Team is a group of people inside a domain; its owners own the team's data products.
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

// Archived reports whether the team was archived.
func (t *Team) Archived() bool { return t.ArchivedAt != nil }

// URN is the team's stable address; its domain must be loaded.
func (t *Team) URN() string { return "urn:plaza:team:" + t.Domain.Slug + ":" + t.Slug }

// Membership puts a person in a team with a role.
type Membership struct {
	ID        uint   `gorm:"primaryKey"`
	TeamID    uint   `gorm:"not null;uniqueIndex:idx_membership"`
	Team      Team   `gorm:"constraint:OnDelete:CASCADE"`
	UserID    uint   `gorm:"not null;uniqueIndex:idx_membership;index"`
	User      User   `gorm:"constraint:OnDelete:CASCADE"`
	Role      string `gorm:"size:16;not null"`
	CreatedAt time.Time
}

// TeamInput is what a person types to create or edit a team.
type TeamInput struct {
	Slug        string `form:"slug" json:"slug"`
	Name        string `form:"name" json:"name"`
	Description string `form:"description" json:"description"`
}

func (in *TeamInput) normalize() {
	in.Slug = strings.TrimSpace(in.Slug)
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
}

func (in TeamInput) validate() error {
	v := &ValidationError{}
	checkSlug(v, "slug", in.Slug)
	checkText(v, "name", "Name", in.Name, true, 80)
	checkText(v, "description", "Description", in.Description, false, 2000)
	return v.OrNil()
}

// TeamSummary is a team with the counts shown in listings.
type TeamSummary struct {
	Team
	Members int64
	Owners  int64
}

// ListTeams lists a domain's teams by name.
func (s *Store) ListTeams(ctx context.Context, domainID uint, withArchived bool) ([]TeamSummary, error) {
	var out []TeamSummary
	q := s.db(ctx).Table("teams").Select(`teams.*,
		(SELECT COUNT(*) FROM memberships WHERE memberships.team_id = teams.id) AS members,
		(SELECT COUNT(*) FROM memberships WHERE memberships.team_id = teams.id AND memberships.role = 'owner') AS owners`).
		Where("teams.domain_id = ?", domainID)
	if !withArchived {
		q = q.Where("teams.archived_at IS NULL")
	}
	if err := q.Order("teams.name").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return out, nil
}

// TeamBySlug loads a team and its domain.
func (s *Store) TeamBySlug(ctx context.Context, domainSlug, teamSlug string) (*Team, error) {
	var t Team
	err := s.db(ctx).Joins("Domain").
		Where(`"Domain".slug = ? AND teams.slug = ?`, domainSlug, teamSlug).First(&t).Error
	if err != nil {
		return nil, fmt.Errorf("team %s/%s: %w", domainSlug, teamSlug, notFound(err))
	}
	return &t, nil
}

// TeamScope returns the scope u acts in for team t.
func (s *Store) TeamScope(ctx context.Context, u *User, teamID uint) (*Scope, error) {
	if u == nil {
		return &Scope{}, nil
	}
	var m Membership
	err := s.db(ctx).Where("team_id = ? AND user_id = ?", teamID, u.ID).First(&m).Error
	if isNotFound(err) {
		return &Scope{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("team role: %w", err)
	}
	return &Scope{TeamRole: m.Role}, nil
}

// authorizeTeam checks act for u on team t.
func (s *Store) authorizeTeam(ctx context.Context, tx *gorm.DB, u *User, act Action, teamID uint) error {
	scope := &Scope{}
	if u != nil {
		var m Membership
		err := tx.Where("team_id = ? AND user_id = ?", teamID, u.ID).First(&m).Error
		if err != nil && !isNotFound(err) {
			return err
		}
		scope.TeamRole = m.Role
	}
	return Authorize(u, act, scope)
}

// CreateTeam adds a team to a domain. Only admins may.
func (s *Store) CreateTeam(ctx context.Context, actor *User, domainSlug string, in TeamInput) (*Team, error) {
	if err := Authorize(actor, ActManageTeams, nil); err != nil {
		return nil, err
	}
	in.normalize()
	if err := in.validate(); err != nil {
		return nil, err
	}
	var t Team
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Domain
		if err := tx.Where("slug = ?", domainSlug).First(&d).Error; err != nil {
			return notFound(err)
		}
		if d.Archived() {
			return Invalid("domain", "This domain is archived; restore it before adding teams.")
		}
		t = Team{DomainID: d.ID, Slug: in.Slug, Name: in.Name, Description: in.Description}
		if err := tx.Omit("Domain").Create(&t).Error; err != nil {
			if isDuplicate(err) {
				return Invalid("slug", fmt.Sprintf("The %s domain already has a team with the slug %q.", d.Name, in.Slug))
			}
			return err
		}
		t.Domain = d
		return s.audit(ctx, tx, actor, "team.create", &t, nil, &t)
	})
	if err != nil {
		return nil, fmt.Errorf("create team: %w", err)
	}
	return &t, nil
}

// UpdateTeam edits a team. Admins and the team's owners may.
func (s *Store) UpdateTeam(ctx context.Context, actor *User, t *Team, in TeamInput) (*Team, error) {
	return s.PatchTeam(ctx, actor, t, in, nil)
}

// PatchTeam edits a team and, when archived is given, archives or restores
// it, in one transaction. Admins and the team's owners edit; only admins
// archive. A patch that only archives records only the archiving.
func (s *Store) PatchTeam(ctx context.Context, actor *User, t *Team, in TeamInput, archived *bool) (*Team, error) {
	in.normalize()
	var after Team
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.authorizeTeam(ctx, tx, actor, ActEditTeam, t.ID); err != nil {
			return err
		}
		if err := in.validate(); err != nil {
			return err
		}
		var before Team
		if err := tx.First(&before, t.ID).Error; err != nil {
			return notFound(err)
		}
		archiveChanged := archived != nil && *archived != before.Archived()
		if archiveChanged {
			if err := Authorize(actor, ActManageTeams, nil); err != nil {
				return err
			}
		}
		before.Domain = t.Domain
		after = before
		after.Slug, after.Name, after.Description = in.Slug, in.Name, in.Description
		fieldsChanged := after.Slug != before.Slug || after.Name != before.Name || after.Description != before.Description
		if archiveChanged {
			after.ArchivedAt = nil
			if *archived {
				now := s.now()
				after.ArchivedAt = &now
			}
		}
		if err := tx.Omit("Domain").Select("slug", "name", "description", "archived_at", "updated_at").Save(&after).Error; err != nil {
			if isDuplicate(err) {
				return Invalid("slug", fmt.Sprintf("This domain already has a team with the slug %q.", in.Slug))
			}
			return err
		}
		edited := after
		edited.ArchivedAt = before.ArchivedAt
		if fieldsChanged || archived == nil {
			if err := s.audit(ctx, tx, actor, "team.update", &after, &before, &edited); err != nil {
				return err
			}
		}
		if archiveChanged {
			action := "team.restore"
			if *archived {
				action = "team.archive"
			}
			return s.audit(ctx, tx, actor, action, &after, &edited, &after)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update team %s: %w", t.Slug, err)
	}
	return &after, nil
}

// SetTeamArchived archives or restores a team. Only admins may.
func (s *Store) SetTeamArchived(ctx context.Context, actor *User, t *Team, archived bool) (*Team, error) {
	if err := Authorize(actor, ActManageTeams, nil); err != nil {
		return nil, err
	}
	now := s.now()
	var after Team
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before Team
		if err := tx.First(&before, t.ID).Error; err != nil {
			return notFound(err)
		}
		after = before
		action := "team.restore"
		after.ArchivedAt = nil
		if archived {
			action = "team.archive"
			after.ArchivedAt = &now
		}
		if err := tx.Omit("Domain").Select("archived_at", "updated_at").Save(&after).Error; err != nil {
			return err
		}
		after.Domain = t.Domain
		return s.audit(ctx, tx, actor, action, &after, &before, &after)
	})
	if err != nil {
		return nil, fmt.Errorf("archive team %s: %w", t.Slug, err)
	}
	return &after, nil
}

// Member is a person in a team.
type Member struct {
	User  User
	Role  string
	Since time.Time
}

// Members lists a team's people, owners first.
func (s *Store) Members(ctx context.Context, teamID uint) ([]Member, error) {
	var ms []Membership
	err := s.db(ctx).Joins("User").Where("memberships.team_id = ?", teamID).
		Order(`memberships.role DESC, "User".name`).Find(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	out := make([]Member, len(ms))
	for i, m := range ms {
		out[i] = Member{User: m.User, Role: m.Role, Since: m.CreatedAt}
	}
	return out, nil
}

func checkRole(role string) error {
	if role != RoleOwner && role != RoleMember {
		return Invalid("role", "Choose owner or member.")
	}
	return nil
}

// membershipAudit is what the audit log records of a membership.
type membershipAudit struct {
	Team  string `json:"team"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// AddMember puts the person with email into team t with role, or changes
// their role when they are already in it. Admins and the team's owners may.
func (s *Store) AddMember(ctx context.Context, actor *User, t *Team, email, role string) (*Member, error) {
	email = NormalizeEmail(email)
	var out Member
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.authorizeTeam(ctx, tx, actor, ActManageMembers, t.ID); err != nil {
			return err
		}
		v := &ValidationError{}
		if email == "" {
			v.Add("email", "Choose a person to add.")
		}
		if checkRole(role) != nil {
			v.Add("role", "Choose owner or member.")
		}
		if err := v.OrNil(); err != nil {
			return err
		}
		if t.Archived() {
			return Invalid("team", "This team is archived.")
		}
		var u User
		if err := tx.Where("email = ?", email).First(&u).Error; err != nil {
			if isNotFound(err) {
				return Invalid("email", fmt.Sprintf("Nobody with the email %s has signed in yet; an admin can add them on the People page.", email))
			}
			return err
		}
		if !u.Active() {
			return Invalid("email", u.DisplayName()+" is deactivated.")
		}
		var m Membership
		err := tx.Where("team_id = ? AND user_id = ?", t.ID, u.ID).First(&m).Error
		key := t.Domain.Slug + "/" + t.Slug
		switch {
		case isNotFound(err):
			m = Membership{TeamID: t.ID, UserID: u.ID, Role: role}
			if err := tx.Omit("Team", "User").Create(&m).Error; err != nil {
				if isDuplicate(err) { // added by someone else since we looked (Postgres, read committed)
					return Invalid("email", u.DisplayName()+" was just added to this team by someone else; reload to see their role.")
				}
				return err
			}
			if err := s.auditObject(ctx, tx, actor, "member.add", "team", key, nil, membershipAudit{key, email, role}); err != nil {
				return err
			}
		case err != nil:
			return err
		case m.Role != role:
			before := membershipAudit{key, email, m.Role}
			if err := tx.Model(&m).Update("role", role).Error; err != nil {
				return err
			}
			if err := s.auditObject(ctx, tx, actor, "member.role", "team", key, before, membershipAudit{key, email, role}); err != nil {
				return err
			}
		}
		out = Member{User: u, Role: role, Since: m.CreatedAt}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add member to %s: %w", t.Slug, err)
	}
	return &out, nil
}

// RemoveMember takes a person out of team t. Admins and the team's owners may.
func (s *Store) RemoveMember(ctx context.Context, actor *User, t *Team, email string) error {
	email = NormalizeEmail(email)
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.authorizeTeam(ctx, tx, actor, ActManageMembers, t.ID); err != nil {
			return err
		}
		var m Membership
		err := tx.Joins("User").Where(`memberships.team_id = ? AND "User".email = ?`, t.ID, email).First(&m).Error
		if err != nil {
			return notFound(err)
		}
		if err := tx.Delete(&Membership{}, m.ID).Error; err != nil {
			return err
		}
		key := t.Domain.Slug + "/" + t.Slug
		return s.auditObject(ctx, tx, actor, "member.remove", "team", key, membershipAudit{key, email, m.Role}, nil)
	})
	if err != nil {
		return fmt.Errorf("remove %s from %s: %w", email, t.Slug, err)
	}
	return nil
}

// TeamRole is one of a person's memberships, with its team and domain.
type TeamRole struct {
	DomainSlug string
	DomainName string
	TeamSlug   string
	TeamName   string
	Role       string
}

// TeamsOf lists the active teams u belongs to.
func (s *Store) TeamsOf(ctx context.Context, userID uint) ([]TeamRole, error) {
	var out []TeamRole
	err := s.db(ctx).Table("memberships").
		Select("domains.slug AS domain_slug, domains.name AS domain_name, teams.slug AS team_slug, teams.name AS team_name, memberships.role").
		Joins("JOIN teams ON teams.id = memberships.team_id").
		Joins("JOIN domains ON domains.id = teams.domain_id").
		Where("memberships.user_id = ? AND teams.archived_at IS NULL AND domains.archived_at IS NULL", userID).
		Order("domains.name, teams.name").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("teams of user %d: %w", userID, err)
	}
	return out, nil
}
