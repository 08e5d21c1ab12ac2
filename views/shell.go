// Package views holds Plaza's templ components: the page layout here, shared
// pieces in views/components, and one folder per resource. Views format what
// a handler loaded into a data struct; they never query or decide.
package views

import "plaza/models"

// Shell is what every full page needs around its content.
type Shell struct {
	Title    string
	Nav      string // the active navigation item: see the Nav* constants
	User     *models.User
	CSRF     string
	Flashes  []Flash
	Demo     bool
	IsAdmin  bool
	Version  string
	Crumbs   []Crumb
	PageMeta string // optional subtitle under the page heading
	Inbox    int    // items waiting for the user's decision
	Unread   int64  // unread notifications
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string `json:"k"` // success, error, info
	Text string `json:"t"`
}

// Crumb is one step of the breadcrumb trail.
type Crumb struct {
	Label string
	Href  string
}

// Navigation items.
const (
	NavMarketplace   = "marketplace"
	NavAccess        = "access"
	NavInbox         = "inbox"
	NavPipelines     = "pipelines"
	NavQuery         = "query"
	NavDashboards    = "dashboards"
	NavAdmin         = "admin"
	NavDomains       = "domains"
	NavProfile       = "profile"
	NavNotifications = "notifications"
)

// NavItem is one entry of the main navigation.
type NavItem struct {
	Key   string
	Label string
	Href  string
}

// MainNav lists the navigation, in order. Admin appears only for admins.
func MainNav(isAdmin bool) []NavItem {
	items := []NavItem{
		{NavMarketplace, "Marketplace", "/"},
		{NavDomains, "Domains", "/domains"},
		{NavAccess, "My access", "/access"},
		{NavInbox, "Inbox", "/inbox"},
		{NavPipelines, "Pipelines", "/pipelines"},
		{NavQuery, "Query", "/query"},
		{NavDashboards, "Dashboards", "/dashboards"},
	}
	if isAdmin {
		items = append(items, NavItem{NavAdmin, "Admin", "/admin"})
	}
	return items
}

// Initials returns up to two letters for an avatar.
func Initials(name string) string {
	out := []rune{}
	start := true
	for _, r := range name {
		if r == ' ' || r == '.' || r == '-' {
			start = true
			continue
		}
		if start {
			out = append(out, r)
			start = false
		}
		if len(out) == 2 {
			break
		}
	}
	return string(out)
}
