package models

import (
	"errors"
	"sort"
	"strings"
)

// ErrNotFound is returned when the object asked for does not exist (or is
// not visible to the caller).
var ErrNotFound = errors.New("not found")

// ErrForbidden is returned when the caller may not do what they asked.
var ErrForbidden = errors.New("forbidden")

// ErrUnauthenticated is returned when a credential is missing, expired or revoked.
var ErrUnauthenticated = errors.New("unauthenticated")

// ValidationError maps form or JSON field names to a message a user can act on.
type ValidationError struct {
	Fields map[string]string
}

// Add records a message for field, keeping the first one given.
func (e *ValidationError) Add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// OrNil returns e when it holds at least one message, nil otherwise.
func (e *ValidationError) OrNil() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// First returns one field and its message, the alphabetically first.
func (e *ValidationError) First() (field, msg string) {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "", ""
	}
	return keys[0], e.Fields[keys[0]]
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		parts = append(parts, k+": "+v)
	}
	sort.Strings(parts)
	return "invalid input: " + strings.Join(parts, "; ")
}

// Invalid is a shorthand for a ValidationError about one field.
func Invalid(field, msg string) error {
	e := &ValidationError{}
	e.Add(field, msg)
	return e
}

// IsNotFound reports whether err means the thing asked for does not exist.
func IsNotFound(err error) bool { return isNotFound(err) }

// ErrConflict is returned when a change no longer applies to the object as
// it is now: a request already decided, a grant already ended.
var ErrConflict = errors.New("conflict")

// conflict wraps ErrConflict with a message a person can act on.
func conflict(msg string) error { return &conflictError{msg} }

type conflictError struct{ msg string }

func (e *conflictError) Error() string { return e.msg }
func (e *conflictError) Unwrap() error { return ErrConflict }
