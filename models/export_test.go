package models

// SQLRefs exposes sqlRefs to the external tests: each name as view@pin.
func SQLRefs(sql string) []string {
	var out []string
	for _, r := range sqlRefs(sql) {
		out = append(out, r.View()+"@"+r.Pin)
	}
	return out
}
