// Package components holds the small templ pieces every page shares: form
// fields with their errors, badges, empty states, pagers, tables.
package components
