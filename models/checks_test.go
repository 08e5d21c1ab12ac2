package models

import (
	"strings"
	"testing"
)

func TestFailingRowsSQL(t *testing.T) {
	cases := []struct {
		rule QualityRule
		want string // a fragment of the SQL, or the error's start
		err  bool
	}{
		{QualityRule{Kind: "not_null", Column: "order_id"}, `SELECT * FROM "daily" WHERE "order_id" IS NULL`, false},
		{QualityRule{Kind: "unique", Column: "order_id"}, `GROUP BY "order_id" HAVING count(*) > 1`, false},
		{QualityRule{Kind: "accepted_values", Column: "status", Spec: `{"values":["open","it's"]}`}, `NOT IN ('open', 'it''s')`, false},
		{QualityRule{Kind: "range", Column: "amount", Spec: `{"min":0,"max":1e6}`}, `"amount" < 0 OR "amount" > 1000000`, false},
		{QualityRule{Kind: "row_count", Spec: `{"min":5800}`}, `HAVING count(*) < 5800`, false},
		{QualityRule{Kind: "row_count", Spec: `{"mustBeGreaterThan":0}`}, `HAVING count(*) < 1`, false},
		{QualityRule{Kind: "row_count", Spec: `{"mustBeLessOrEqualTo":10}`}, `HAVING count(*) > 10`, false},
		{QualityRule{Kind: "freshness", Spec: `{"column":"posting_date","max_hours":48}`}, `INTERVAL (48) HOUR`, false},
		{QualityRule{Kind: "sql", Spec: `{"query":"SELECT 1 FROM daily;"}`}, `SELECT 1 FROM daily`, false},
		{QualityRule{Kind: "not_null"}, "needs a column", true},
		{QualityRule{Kind: "range", Column: "x", Spec: `{}`}, "needs", true},
		{QualityRule{Kind: "accepted_values", Column: "x", Spec: `{"values":[]}`}, "needs", true},
		{QualityRule{Kind: "sql", Spec: `not json`}, "not valid JSON", true},
		{QualityRule{Kind: "weird"}, "unknown rule kind", true},
		// A column name cannot break out of its quotes.
		{QualityRule{Kind: "not_null", Column: `x" IS NULL; DROP`}, `"x"" IS NULL; DROP" IS NULL`, false},
	}
	for _, c := range cases {
		got, err := FailingRowsSQL(c.rule, "daily")
		if c.err {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%+v: error %v, want one saying %q", c.rule, err, c.want)
			}
			continue
		}
		if err != nil || !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q (%v), want it to contain %q", c.rule, got, err, c.want)
		}
	}
}

func TestLogicalTypeAndDrift(t *testing.T) {
	for duck, want := range map[string]string{"VARCHAR": "string", "BIGINT": "integer", "DECIMAL(18,2)": "decimal",
		"DOUBLE": "number", "TIMESTAMP WITH TIME ZONE": "timestamp", "DATE": "date", "BOOLEAN": "boolean",
		"VARCHAR[]": "array", "STRUCT(a INTEGER)": "object"} {
		if got := LogicalType(duck); got != want {
			t.Errorf("LogicalType(%s) = %s, want %s", duck, got, want)
		}
	}
	port := []Column{{Name: "order_id", Type: "string"}, {Name: "amount", Type: "decimal"}, {Name: "placed_at", Type: "timestamp"}}
	got := []SnapshotColumn{{Name: "order_id", Type: "VARCHAR"}, {Name: "amount", Type: "DOUBLE"}, {Name: "channel", Type: "VARCHAR"}}
	drift := SchemaDrift(port, got)
	want := []string{"column amount is number, the contract says decimal", "column placed_at (timestamp) is missing", "column channel (string) is new"}
	if strings.Join(drift, "|") != strings.Join(want, "|") {
		t.Errorf("drift = %q, want %q", drift, want)
	}
	if d := SchemaDrift(port[:1], got[:1]); len(d) != 0 {
		t.Errorf("matching schemas drift: %v", d)
	}
}
