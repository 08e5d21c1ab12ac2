// Package models holds Plaza's metadata: the gorm models, their queries, and
// the rules of the business (who may do what, state changes and their audit
// events). It imports no other Plaza package; handlers, jobs and lake import it.
package models
