package models

import "fmt"

// Action names something a person may want to do. Every permission check in
// Plaza goes through Authorize, so the rules read in one place.
type Action string

// The actions known so far.
const (
	ActBrowse         Action = "browse"          // see the catalog, domains, teams
	ActManageDomains  Action = "manage domains"  // create, edit, archive domains
	ActManageTeams    Action = "manage teams"    // create and archive teams
	ActManagePeople   Action = "manage people"   // add people, make admins, deactivate
	ActViewAudit      Action = "view audit log"  // read every audit event
	ActEditTeam       Action = "edit team"       // change a team's name and description
	ActManageMembers  Action = "manage members"  // add, remove, change roles in a team
	ActAdminConsole   Action = "open admin"      // the admin pages
	ActManageOwnToken Action = "manage tokens"   // personal access tokens
	ActEditProduct    Action = "edit product"    // create, describe and move a team's data products
	ActManageGlossary Action = "manage glossary" // a domain's business terms
	ActManagePolicy   Action = "manage policy"   // access policies per classification
	ActUseLanding     Action = "use landing"     // a domain's raw landing files: list, upload, preview
)

// Team roles.
const (
	RoleOwner  = "owner"
	RoleMember = "member"
)

// Scope is what a team-scoped decision needs to know: the caller's role in
// the team concerned ("" when not a member). For a domain's glossary, the
// role is "owner" when the caller owns any team of the domain.
type Scope struct {
	TeamRole string
}

// Authorize returns nil when u may do act within scope, ErrUnauthenticated
// when nobody (or a deactivated person) is signed in, and ErrForbidden otherwise.
func Authorize(u *User, act Action, scope *Scope) error {
	if u == nil || !u.Active() {
		return ErrUnauthenticated
	}
	if allowed(u, act, scope) {
		return nil
	}
	return fmt.Errorf("%s may not %s: %w", u.Email, act, ErrForbidden)
}

// Can is Authorize as a yes or no, for views deciding what to show.
func Can(u *User, act Action, scope *Scope) bool { return Authorize(u, act, scope) == nil }

func allowed(u *User, act Action, scope *Scope) bool {
	switch act {
	case ActBrowse, ActManageOwnToken:
		return true
	case ActManageDomains, ActManageTeams, ActManagePeople, ActViewAudit, ActAdminConsole, ActManagePolicy:
		return u.IsAdmin
	case ActUseLanding:
		return u.IsAdmin || (scope != nil && scope.TeamRole != "")
	case ActEditTeam, ActManageMembers, ActEditProduct, ActManageGlossary:
		return u.IsAdmin || (scope != nil && scope.TeamRole == RoleOwner)
	}
	return false
}
