package models

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A quality rule runs as SQL over the staged output of a run, exposed to
// it as a view named after the port (CheckView). Every rule becomes a query
// that returns its failing rows, so one shape serves them all: the run
// counts them and keeps a sample. The user's own "sql" rules already have
// that shape.

// CheckView is the name under which a check reads a port's new data: the
// port's slug with - as _, so `SELECT ... FROM daily` works in sql rules.
func CheckView(port string) string { return strings.ReplaceAll(port, "-", "_") }

// CheckSpec is the JSON of a rule's parameters; each kind uses some fields.
type CheckSpec struct {
	Values   []any    `json:"values,omitempty"`    // accepted_values
	Min      *float64 `json:"min,omitempty"`       // range, row_count
	Max      *float64 `json:"max,omitempty"`       // range, row_count
	Column   string   `json:"column,omitempty"`    // freshness (else the rule's column)
	MaxHours float64  `json:"max_hours,omitempty"` // freshness
	Query    string   `json:"query,omitempty"`     // sql: returns the failing rows
	Expect   string   `json:"expect,omitempty"`    // sql: "no rows" (the only expectation)

	// ODCS v3 comparisons, as contracts write row_count rules.
	MustBeGreaterThan      *float64 `json:"mustBeGreaterThan,omitempty"`
	MustBeGreaterOrEqualTo *float64 `json:"mustBeGreaterOrEqualTo,omitempty"`
	MustBeLessThan         *float64 `json:"mustBeLessThan,omitempty"`
	MustBeLessOrEqualTo    *float64 `json:"mustBeLessOrEqualTo,omitempty"`
}

// CheckName is how a rule is shown: its description, or what it checks.
func CheckName(r QualityRule) string {
	if r.Description != "" {
		return r.Description
	}
	if r.Column != "" {
		return strings.ReplaceAll(r.Kind, "_", " ") + " on " + r.Column
	}
	return strings.ReplaceAll(r.Kind, "_", " ")
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return "'" + strings.ReplaceAll(fmt.Sprint(v), "'", "''") + "'"
}

// FailingRowsSQL is the query returning the rows of view that break rule.
func FailingRowsSQL(r QualityRule, view string) (string, error) {
	var spec CheckSpec
	if strings.TrimSpace(r.Spec) != "" {
		if err := json.Unmarshal([]byte(r.Spec), &spec); err != nil {
			return "", fmt.Errorf("the rule's parameters are not valid JSON: %v", err)
		}
	}
	v := quoteIdent(view)
	col := quoteIdent(r.Column)
	needColumn := func() error {
		if r.Column == "" {
			return fmt.Errorf("a %s rule needs a column", r.Kind)
		}
		return nil
	}
	switch r.Kind {
	case "not_null":
		if err := needColumn(); err != nil {
			return "", err
		}
		return fmt.Sprintf("SELECT * FROM %s WHERE %s IS NULL", v, col), nil
	case "unique":
		if err := needColumn(); err != nil {
			return "", err
		}
		return fmt.Sprintf("SELECT %s, count(*) AS duplicates FROM %s WHERE %s IS NOT NULL GROUP BY %s HAVING count(*) > 1",
			col, v, col, col), nil
	case "accepted_values":
		if err := needColumn(); err != nil {
			return "", err
		}
		if len(spec.Values) == 0 {
			return "", fmt.Errorf("an accepted_values rule needs {\"values\": [...]}")
		}
		lits := make([]string, len(spec.Values))
		for i, x := range spec.Values {
			lits[i] = quoteLiteral(fmt.Sprint(x))
		}
		return fmt.Sprintf("SELECT * FROM %s WHERE %s IS NOT NULL AND CAST(%s AS VARCHAR) NOT IN (%s)",
			v, col, col, strings.Join(lits, ", ")), nil
	case "range":
		if err := needColumn(); err != nil {
			return "", err
		}
		var conds []string
		if spec.Min != nil {
			conds = append(conds, fmt.Sprintf("%s < %s", col, quoteLiteral(*spec.Min)))
		}
		if spec.Max != nil {
			conds = append(conds, fmt.Sprintf("%s > %s", col, quoteLiteral(*spec.Max)))
		}
		if len(conds) == 0 {
			return "", fmt.Errorf("a range rule needs {\"min\": ...} or {\"max\": ...}")
		}
		return fmt.Sprintf("SELECT * FROM %s WHERE %s", v, strings.Join(conds, " OR ")), nil
	case "row_count":
		// An ODCS contract's bounds become min and max.
		if spec.Min == nil && spec.MustBeGreaterOrEqualTo != nil {
			spec.Min = spec.MustBeGreaterOrEqualTo
		}
		if spec.Min == nil && spec.MustBeGreaterThan != nil {
			v := *spec.MustBeGreaterThan + 1
			spec.Min = &v
		}
		if spec.Max == nil && spec.MustBeLessOrEqualTo != nil {
			spec.Max = spec.MustBeLessOrEqualTo
		}
		if spec.Max == nil && spec.MustBeLessThan != nil {
			v := *spec.MustBeLessThan - 1
			spec.Max = &v
		}
		var conds []string
		if spec.Min != nil {
			conds = append(conds, fmt.Sprintf("count(*) < %s", quoteLiteral(*spec.Min)))
		}
		if spec.Max != nil {
			conds = append(conds, fmt.Sprintf("count(*) > %s", quoteLiteral(*spec.Max)))
		}
		if len(conds) == 0 {
			return "", fmt.Errorf("a row_count rule needs {\"min\": ...} or {\"max\": ...}")
		}
		return fmt.Sprintf("SELECT count(*) AS row_count FROM %s HAVING %s", v, strings.Join(conds, " OR ")), nil
	case "freshness":
		c := spec.Column
		if c == "" {
			c = r.Column
		}
		if c == "" || spec.MaxHours <= 0 {
			return "", fmt.Errorf("a freshness rule needs a column and {\"max_hours\": ...}")
		}
		qc := quoteIdent(c)
		return fmt.Sprintf("SELECT max(%s) AS newest FROM %s HAVING max(%s) IS NULL OR CAST(max(%s) AS TIMESTAMP) < CAST(now() AS TIMESTAMP) - INTERVAL (%s) HOUR",
			qc, v, qc, qc, quoteLiteral(spec.MaxHours)), nil
	case "sql":
		q := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(spec.Query), ";"))
		if q == "" {
			return "", fmt.Errorf("an sql rule needs {\"query\": \"SELECT ... the failing rows\"}")
		}
		return q, nil
	}
	return "", fmt.Errorf("unknown rule kind %q", r.Kind)
}

// CheckSQL wraps a failing-rows query so one statement answers the number
// of failing rows (column __failing) and a sample of up to 10 of them.
func CheckSQL(failing string) string {
	return "SELECT count(*) OVER () AS __failing, * FROM (" + failing + "\n) AS failing LIMIT 10"
}
