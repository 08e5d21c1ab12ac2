// Package pipelines renders the pipeline pages: the list of a reader's
// pipelines, a pipeline with its runs and snapshots, the definition form,
// and a run with its checks and live log.
package pipelines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plaza/models"
	"plaza/views/components"
)

func id(n uint) string { return strconv.FormatUint(uint64(n), 10) }

// PipelinePath is a pipeline's page.
func PipelinePath(pl models.Pipeline) string { return "/pipelines/" + id(pl.ID) }

// RunPath is a run's page.
func RunPath(r models.Run) string { return "/runs/" + id(r.ID) }

// FormPath is the definition form of a product's port.
func FormPath(p models.Product, port string) string { return p.Path() + "/pipelines/" + port }

// StatusTone is the badge colour of a run status.
func StatusTone(status string) string {
	switch status {
	case models.RunSucceeded:
		return "success"
	case models.RunFailed:
		return "danger"
	case models.RunRunning:
		return "info"
	case models.RunQueued:
		return "warning"
	}
	return "neutral"
}

// Duration formats how long a run took: 850ms, 42s, 3m 05s, 1h 02m.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%dh %02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// rowsText is a run's row count, or a dash before it has one.
func rowsText(r models.Run) string {
	if r.Rows == 0 && r.Status != models.RunSucceeded {
		return "—"
	}
	return components.Number(r.Rows)
}

func bytesText(r models.Run) string {
	if r.Bytes == 0 {
		return "—"
	}
	return components.Bytes(r.Bytes)
}

// ScheduleText says when a pipeline runs, in words.
func ScheduleText(pl models.Pipeline) string {
	switch pl.Schedule {
	case models.ScheduleCron:
		return "cron " + pl.Cron
	case models.ScheduleUpstream:
		return "when an input publishes"
	}
	return "manual"
}

// InputSource names where an input reads, for people: a landing glob under
// the domain's folder or an upstream port.
func InputSource(pl models.Pipeline, x models.PipelineInput) string {
	if x.Landing != "" {
		return "landing/" + pl.Product.Domain.Slug + "/" + x.Landing
	}
	return x.Source()
}

// Sample is a check's failing rows as a table.
type Sample struct {
	Columns []string
	Rows    [][]string
	Raw     string // when the sample is not rows of objects
}

// ParseSample reads a check result's sample: a JSON array of objects (key
// order kept), or {"columns": [...], "rows": [[...]]}; anything else is
// shown as it is.
func ParseSample(s string) Sample {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" || s == "[]" {
		return Sample{}
	}
	var shaped struct {
		Columns []string            `json:"columns"`
		Rows    [][]json.RawMessage `json:"rows"`
	}
	if strings.HasPrefix(s, "{") && json.Unmarshal([]byte(s), &shaped) == nil && len(shaped.Columns) > 0 {
		out := Sample{Columns: shaped.Columns}
		for _, row := range shaped.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = cell(v)
			}
			out.Rows = append(out.Rows, cells)
		}
		return out
	}
	if out, ok := objectRows(s); ok {
		return out
	}
	return Sample{Raw: s}
}

// objectRows decodes an array of flat objects, keeping the order of keys
// as the first row has them.
func objectRows(s string) (Sample, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return Sample{}, false
	}
	var out Sample
	index := map[string]int{}
	for dec.More() {
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return Sample{}, false
		}
		row := map[int]string{}
		for dec.More() {
			t, err := dec.Token()
			key, ok := t.(string)
			if err != nil || !ok {
				return Sample{}, false
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return Sample{}, false
			}
			i, seen := index[key]
			if !seen {
				i = len(out.Columns)
				index[key] = i
				out.Columns = append(out.Columns, key)
			}
			row[i] = cell(v)
		}
		if _, err := dec.Token(); err != nil {
			return Sample{}, false
		}
		cells := make([]string, len(out.Columns))
		for i, v := range row {
			cells[i] = v
		}
		out.Rows = append(out.Rows, cells)
	}
	for i := range out.Rows { // rows read before a later column appeared
		for len(out.Rows[i]) < len(out.Columns) {
			out.Rows[i] = append(out.Rows[i], "")
		}
	}
	return out, true
}

func cell(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	switch {
	case string(v) == "null":
		return "NULL"
	case len(v) > 0 && v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

// LogTail is the end of a run's log, at most max bytes from a line start,
// and whether earlier lines were left out.
func LogTail(log string, max int) (string, bool) {
	if len(log) <= max {
		return log, false
	}
	tail := log[len(log)-max:]
	if i := strings.IndexByte(tail, '\n'); i >= 0 && i < len(tail)-1 {
		tail = tail[i+1:]
	}
	return tail, true
}
