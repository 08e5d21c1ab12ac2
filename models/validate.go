package models

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

var slugPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// checkSlug validates a URL name: lower-case letters, digits and single
// hyphens, starting with a letter, 2 to 40 characters.
func checkSlug(v *ValidationError, field, slug string) {
	switch {
	case slug == "":
		v.Add(field, "Slug is required.")
	case len(slug) < 2 || len(slug) > 40:
		v.Add(field, "Slug must be 2 to 40 characters.")
	case !slugPattern.MatchString(slug):
		v.Add(field, "Use lower-case letters, digits and single hyphens, starting with a letter (for example supply-chain).")
	}
}

// checkText validates a free-text field's presence and length in characters.
func checkText(v *ValidationError, field, label, s string, required bool, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, label+" is required.")
	case n > max:
		v.Add(field, label+" must be at most "+itoa(max)+" characters.")
	case !utf8.ValidString(s):
		v.Add(field, label+" is not valid text.")
	}
}

// checkEmail validates an optional contact address.
func checkOptionalEmail(v *ValidationError, field, s string) {
	if s == "" {
		return
	}
	if err := validatePerson(s, ""); err != nil {
		v.Add(field, "Enter an email address like data-sales@example.com.")
	}
}

// Slugify turns a name into a slug suggestion.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if b.Len() == 0 && r >= '0' && r <= '9' {
				continue
			}
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 40 {
		s = strings.TrimSuffix(s[:40], "-")
	}
	return s
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{digits[n%10]}, b...)
		n /= 10
	}
	return string(b)
}
