package models

// Data contracts in the Open Data Contract Standard (ODCS v3): ImportContract
// reads one into a product, ExportContract writes a product as one. What
// Plaza does not model (servers, price, roles, physical names, ...) is kept
// verbatim in Product.ContractExtra and merged back on export, so a contract
// survives the trip through Plaza.

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gorm.io/gorm"
)

// ODCSAPIVersion is the version of the Open Data Contract Standard Plaza writes.
const ODCSAPIVersion = "v3.1.0"

// MaxContractSize is the largest contract Plaza reads: 1 MiB.
const MaxContractSize = 1 << 20

const (
	maxContractNodes  = 200_000 // values once aliases are expanded: a "billion laughs" stops here
	maxContractDepth  = 64
	maxContractIssues = 25
	maxRuleText       = 1000 // QualityRule.Description's column size
)

// odcsSchemaJSON is the official ODCS v3.1.0 JSON schema; every imported
// contract is validated against it (see testdata/odcs/README.md).
//
//go:embed testdata/odcs/odcs-json-schema-v3.1.0.json
var odcsSchemaJSON []byte

// ContractReport says what an import did with the contract.
type ContractReport struct {
	Created     bool     // a new product; false when an existing one was updated
	ID          string   // the contract's id
	APIVersion  string   // the ODCS version it was written in
	Status      string   // the contract's status: active, proposed, draft, deprecated, retired
	PlazaStatus string   // the Plaza status that corresponds; new products start as drafts all the same
	Kept        []string // parts kept for the round trip but not used by Plaza ("servers", "schema[0].properties[1].examples")
	Notes       []string // conversions worth knowing about
}

// odcsLogicalTypes are the logical types ODCS v3 allows for a property.
var odcsLogicalTypes = []string{"string", "date", "timestamp", "time", "number", "integer", "object", "array", "boolean"}

// odcsStatusOf maps an ODCS contract status to the Plaza product status it means.
var odcsStatusOf = map[string]string{
	"proposed": StatusDraft, "draft": StatusDraft, "active": StatusPublished,
	"deprecated": StatusDeprecated, "retired": StatusRetired,
}

// odcsStatus is the contract status of a product in status.
func odcsStatus(status string) string {
	switch status {
	case StatusPublished:
		return "active"
	case StatusDeprecated, StatusRetired:
		return status
	}
	return "draft"
}

// piiClasses are property classifications that mark personal data.
var piiClasses = map[string]bool{
	"pii": true, "personal": true, "personal data": true, "personal-data": true, "personaldata": true,
	"sensitive": true, "spi": true, "phi": true, "gdpr": true,
}

// Custom properties Plaza writes on quality rules it cannot express in
// ODCS, so that they come back as they were.
const (
	markKind   = "plazaKind"
	markSpec   = "plazaSpec"
	markPort   = "plazaPort"
	markColumn = "plazaColumn"
)

// contractIssue is one problem found in a contract, with where it is.
type contractIssue struct {
	line int    // 1-based; 0 when not known
	path string // like "schema[0].properties[2].logicalType"; "" for the whole contract
	msg  string
}

func (i contractIssue) String() string {
	var b strings.Builder
	if i.line > 0 {
		fmt.Fprintf(&b, "line %d: ", i.line)
	}
	if i.path != "" {
		b.WriteString(i.path + ": ")
	}
	b.WriteString(i.msg)
	return b.String()
}

// contractInvalid is the error an import returns for issues: a
// ValidationError on the field "contract" whose message has one line per
// problem, each naming its line and field.
func contractInvalid(issues []contractIssue) error {
	sort.SliceStable(issues, func(a, b int) bool {
		if issues[a].line != issues[b].line {
			return issues[a].line < issues[b].line
		}
		return issues[a].path < issues[b].path
	})
	seen := map[string]bool{}
	var msgs []string
	for _, i := range issues {
		s := i.String()
		if !seen[s] {
			seen[s] = true
			msgs = append(msgs, s)
		}
	}
	if len(msgs) > maxContractIssues {
		msgs = append(msgs[:maxContractIssues], fmt.Sprintf("and %d more problems", len(msgs)-maxContractIssues))
	}
	return Invalid("contract", strings.Join(msgs, "\n"))
}

// ImportContract creates or updates a product from an ODCS v3 contract in
// YAML. The contract's domain names the Plaza domain and dataProduct (or
// name) the product: a product that exists is updated, else a draft is
// created. Problems come back as a *ValidationError on "contract" naming
// each line and field; authorization is CreateProduct's and UpdateProduct's.
func (s *Store) ImportContract(ctx context.Context, actor *User, yamlText []byte) (*Product, *ContractReport, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, nil, err
	}
	if len(yamlText) > MaxContractSize {
		return nil, nil, Invalid("contract", fmt.Sprintf("The contract is %d bytes; Plaza reads contracts of at most 1 MiB.", len(yamlText)))
	}
	pc, issues := parseContract(yamlText)
	if len(issues) > 0 {
		return nil, nil, contractInvalid(issues)
	}
	d, err := s.contractDomain(ctx, pc)
	if err != nil {
		return nil, nil, err
	}
	existing, err := s.ProductBySlug(ctx, d.Slug, pc.in.Slug)
	var moved *ErrMoved
	switch {
	case err == nil:
	case errors.Is(err, ErrNotFound), errors.As(err, &moved):
		existing = nil // a renamed product's old slug is free for a new product
	default:
		return nil, nil, err
	}
	if pc.in.Team, err = s.contractTeam(ctx, actor, d, pc, existing); err != nil {
		return nil, nil, err
	}
	pc.in.Classification = pc.productClassification(existing)
	if existing != nil {
		// ODCS has no inputs: an update keeps the product's lineage.
		cur, err := s.InputOf(ctx, existing)
		if err != nil {
			return nil, nil, err
		}
		pc.in.InputPorts = cur.InputPorts
	}
	var p *Product
	if existing == nil {
		p, err = s.CreateProduct(ctx, actor, d.Slug, pc.in)
	} else {
		p, err = s.UpdateProduct(ctx, actor, existing, pc.in)
	}
	if err != nil {
		return nil, nil, pc.translate(err)
	}
	rep := pc.report
	rep.Created = existing == nil
	if rep.PlazaStatus != "" && rep.PlazaStatus != p.Status {
		rep.Notes = append(rep.Notes, fmt.Sprintf("The contract's status is %s; the product stays %s in Plaza until its owners change it.", rep.Status, p.Status))
	}
	return p, &rep, nil
}

// contractDomain finds the Plaza domain the contract names, by slug or name.
func (s *Store) contractDomain(ctx context.Context, pc *parsedContract) (*Domain, error) {
	d, err := s.DomainBySlug(ctx, pc.domain)
	if err == nil {
		return d, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	all, err := s.ListDomains(ctx, true)
	if err != nil {
		return nil, err
	}
	slugs := make([]string, 0, len(all))
	for _, c := range all {
		if c.Slug == Slugify(pc.domain) || strings.EqualFold(c.Name, pc.domain) {
			return s.DomainBySlug(ctx, c.Slug)
		}
		slugs = append(slugs, c.Slug)
	}
	sort.Strings(slugs)
	return nil, contractInvalid([]contractIssue{{pc.domainLine, "domain",
		fmt.Sprintf("Plaza has no domain %q; use one of: %s", pc.domain, strings.Join(slugs, ", "))}})
}

// contractTeam finds the team that will own the product: the contract's
// team (v3.1 object) by slug or name; else, for an update, the product's
// team; else the one team of the domain that the listed members, or the
// actor, own.
func (s *Store) contractTeam(ctx context.Context, actor *User, d *Domain, pc *parsedContract, existing *Product) (string, error) {
	teams, err := s.ListTeams(ctx, d.ID, false)
	if err != nil {
		return "", err
	}
	slugs := make([]string, 0, len(teams))
	for _, t := range teams {
		slugs = append(slugs, t.Slug)
	}
	for _, name := range pc.team.names {
		for _, t := range teams {
			if t.Slug == name || t.Slug == Slugify(name) || strings.EqualFold(t.Name, name) {
				return t.Slug, nil
			}
		}
	}
	if len(pc.team.names) > 0 {
		return "", contractInvalid([]contractIssue{{pc.team.line, pc.team.path,
			fmt.Sprintf("the %s domain has no team %q; its teams: %s", d.Slug, pc.team.names[0], strings.Join(slugs, ", "))}})
	}
	if existing != nil {
		return existing.Team.Slug, nil
	}
	owned := func(q func(*gorm.DB) *gorm.DB) (string, error) {
		var found []string
		base := s.db(ctx).Table("memberships").Distinct("teams.slug").
			Joins("JOIN teams ON teams.id = memberships.team_id").Joins("JOIN users ON users.id = memberships.user_id").
			Where("teams.domain_id = ? AND teams.archived_at IS NULL AND memberships.role = ?", d.ID, RoleOwner)
		if err := q(base).Pluck("teams.slug", &found).Error; err != nil {
			return "", err
		}
		if len(found) == 1 {
			return found[0], nil
		}
		return "", nil
	}
	if len(pc.team.members) > 0 {
		emails := make([]string, len(pc.team.members))
		for i, m := range pc.team.members {
			emails[i] = NormalizeEmail(m)
		}
		slug, err := owned(func(q *gorm.DB) *gorm.DB { return q.Where("users.email IN ?", emails) })
		if slug != "" || err != nil {
			return slug, err
		}
	}
	slug, err := owned(func(q *gorm.DB) *gorm.DB { return q.Where("users.id = ?", actor.ID) })
	if slug != "" || err != nil {
		return slug, err
	}
	return "", contractInvalid([]contractIssue{{pc.team.line, pc.team.path,
		fmt.Sprintf("name the team that owns the product, as the ODCS v3.1 team object (team: {name: ...}), one of: %s", strings.Join(slugs, ", "))}})
}

// productClassification picks the product's classification: the contract's
// own (a top-level custom property), else the product's current one, else
// the most closed classification among its properties, else internal.
func (pc *parsedContract) productClassification(existing *Product) string {
	if pc.classification != "" {
		return pc.classification
	}
	if existing != nil {
		return existing.Classification
	}
	best := -1
	for _, c := range pc.propClasses {
		for i, known := range Classifications {
			if c == known && i > best {
				best = i
			}
		}
	}
	if best >= 0 {
		pc.report.Notes = append(pc.report.Notes, fmt.Sprintf("Classification %s: the most closed classification of the contract's properties.", Classifications[best]))
		return Classifications[best]
	}
	pc.report.Notes = append(pc.report.Notes, "Classification internal: the contract gives none (add a custom property classification to choose).")
	return ClassInternal
}

// translate turns the store's field errors about the product input into
// issues that name the contract's lines and fields.
func (pc *parsedContract) translate(err error) error {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var issues []contractIssue
	for field, msg := range ve.Fields {
		if loc, ok := pc.fields[field]; ok {
			issues = append(issues, contractIssue{loc.line, loc.path, msg})
		} else {
			issues = append(issues, contractIssue{0, field, msg})
		}
	}
	return contractInvalid(issues)
}

// parsedContract is a contract read into what Plaza models, plus what it
// needs from the database to finish.
type parsedContract struct {
	in             ProductInput
	domain         string
	domainLine     int
	team           contractTeamRef
	classification string   // the contract's own product classification, if it gives one
	propClasses    []string // classifications of its properties, lower-case
	report         ContractReport
	fields         map[string]contractLoc // ProductInput field -> where it came from
}

// contractTeamRef is what the contract says about its team.
type contractTeamRef struct {
	names   []string // team.name and team.id (v3.1)
	members []string // usernames (v3.0 list, or members of the v3.1 object)
	line    int
	path    string
}

type contractLoc struct {
	line int
	path string
}

// parseContract reads and checks a contract without touching the database.
func parseContract(text []byte) (pc *parsedContract, issues []contractIssue) {
	defer func() {
		if r := recover(); r != nil { // the YAML library on input it was not ready for
			pc, issues = nil, []contractIssue{{msg: fmt.Sprintf("the contract could not be read: %v", r)}}
		}
	}()
	doc, issues := readYAML(text)
	if len(issues) > 0 {
		return nil, issues
	}
	if doc.Kind != yaml.MappingNode {
		return nil, []contractIssue{{doc.Line, "", "an ODCS contract is a YAML mapping (apiVersion, kind, id, version, status, ...)"}}
	}
	r := &contractReader{fields: map[string]contractLoc{}}
	pc = r.read(doc)
	issues = r.issues
	seen := map[string]bool{}
	for _, i := range issues {
		seen[i.path] = true
	}
	for _, i := range schemaIssues(doc) {
		if !seen[i.path] {
			issues = append(issues, i)
		}
	}
	return pc, issues
}

// readYAML parses text into one node tree with aliases expanded, refusing
// trees too large or deep, duplicate keys, and text Postgres cannot store.
func readYAML(text []byte) (*yaml.Node, []contractIssue) {
	var root yaml.Node
	if err := yaml.Unmarshal(text, &root); err != nil {
		return nil, []contractIssue{yamlIssue(err)}
	}
	if len(root.Content) == 0 {
		return nil, []contractIssue{{msg: "the contract is empty"}}
	}
	x := &expander{}
	n := x.copy(root.Content[0], 0)
	if len(x.issues) > 0 {
		return nil, x.issues
	}
	if n == nil {
		return nil, []contractIssue{{msg: "the contract is empty"}}
	}
	return n, nil
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserErrors are the YAML library's messages that name the line where
// the unfinished block or flow began, counted from 0 (its scanner's
// messages count from 1).
var yamlParserErrors = []string{"did not find expected key", "did not find expected ',' or ']'",
	"did not find expected ',' or '}'", "did not find expected node content", "did not find expected '-' indicator",
	"did not find expected <document start>"}

func yamlIssue(err error) contractIssue {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if slices.Contains(yamlParserErrors, m[2]) {
			return contractIssue{line: line + 1, msg: m[2] + " (in what starts on this line)"}
		}
		return contractIssue{line: line, msg: m[2]}
	}
	return contractIssue{msg: strings.TrimPrefix(msg, "yaml: ")}
}

// expander copies a YAML tree, replacing each alias by a copy of its anchor,
// within a budget of nodes and depth, so no input can exhaust memory.
type expander struct {
	nodes  int
	stop   bool
	issues []contractIssue
}

func (x *expander) fail(line int, msg string) {
	if len(x.issues) < maxContractIssues {
		x.issues = append(x.issues, contractIssue{line: line, msg: msg})
	}
}

func (x *expander) copy(n *yaml.Node, depth int) *yaml.Node {
	if x.stop || n == nil {
		return nil
	}
	if depth > maxContractDepth {
		x.fail(n.Line, fmt.Sprintf("the contract nests more than %d levels deep", maxContractDepth))
		x.stop = true
		return nil
	}
	if x.nodes++; x.nodes > maxContractNodes {
		x.fail(n.Line, fmt.Sprintf("the contract holds more than %d values once its aliases are expanded", maxContractNodes))
		x.stop = true
		return nil
	}
	out := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value, Style: n.Style, Line: n.Line, Column: n.Column}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return x.copy(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			x.fail(n.Line, "an alias names no anchor")
			return nil
		}
		return x.copy(n.Alias, depth+1) // an alias inside its own anchor ends at the depth limit
	case yaml.ScalarNode:
		if strings.ContainsRune(n.Value, 0) || !utf8.ValidString(n.Value) {
			x.fail(n.Line, "text with a NUL character or invalid UTF-8")
		}
		return out
	case yaml.SequenceNode:
		for _, c := range n.Content {
			cc := x.copy(c, depth+1)
			if x.stop {
				return nil
			}
			if cc != nil {
				out.Content = append(out.Content, cc)
			}
		}
		return out
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			switch {
			case k.Kind != yaml.ScalarNode:
				x.fail(k.Line, "a mapping key must be plain text")
				continue
			case k.Tag == "!!merge":
				x.fail(k.Line, "YAML merge keys (<<) are not supported; write the keys out")
				continue
			}
			if first, dup := seen[k.Value]; dup {
				x.fail(k.Line, fmt.Sprintf("key %q appears twice (first on line %d)", k.Value, first))
				continue
			}
			seen[k.Value] = k.Line
			kc, vc := x.copy(k, depth+1), x.copy(n.Content[i+1], depth+1)
			if x.stop {
				return nil
			}
			if kc != nil && vc != nil {
				out.Content = append(out.Content, kc, vc)
			}
		}
		return out
	}
	return nil
}

// contractReader walks a contract, filling a ProductInput, and keeps what
// Plaza does not use.
type contractReader struct {
	issues []contractIssue
	kept   []string
	notes  []string
	fields map[string]contractLoc
}

func (r *contractReader) issue(line int, path, msg string) {
	r.issues = append(r.issues, contractIssue{line, path, msg})
}

func (r *contractReader) field(f string, line int, path string) {
	r.fields[f] = contractLoc{line, path}
}

func (r *contractReader) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// keepRest appends the keys of m that nothing used to into, and reports them.
func (r *contractReader) keepRest(m *ymap, into *yaml.Node) {
	for i := 0; i+1 < len(m.n.Content); i += 2 {
		k := m.n.Content[i].Value
		if !m.used[k] {
			into.Content = append(into.Content, m.n.Content[i], m.n.Content[i+1])
			r.kept = append(r.kept, m.at(k))
		}
	}
}

// read maps a contract's root mapping.
func (r *contractReader) read(doc *yaml.Node) *parsedContract {
	pc := &parsedContract{fields: r.fields}
	root := asMap(doc, "")
	extra := newMap()

	api := strings.TrimSpace(root.text("apiVersion"))
	pc.report.APIVersion = api
	if api != "" && !strings.HasPrefix(api, "v3.") {
		r.issue(root.line("apiVersion"), "apiVersion", fmt.Sprintf("Plaza reads ODCS v3 contracts (v3.0.x, v3.1.0); this one is %q", api))
	}
	if k := strings.TrimSpace(root.text("kind")); k != "" && k != "DataContract" {
		r.issue(root.line("kind"), "kind", fmt.Sprintf("a data contract has kind DataContract, not %q", k))
	}
	id := strings.TrimSpace(root.text("id"))
	pc.report.ID = id
	if id != "" && !strings.HasPrefix(id, "urn:plaza:") { // Plaza's own URNs follow the product
		addPair(extra, "id", strNode(id))
	}

	name, dp := strings.TrimSpace(root.text("name")), strings.TrimSpace(root.text("dataProduct"))
	switch {
	case dp != "":
		pc.in.Slug = Slugify(dp)
		r.field("slug", root.line("dataProduct"), "dataProduct")
	case name != "":
		pc.in.Slug = Slugify(name)
		r.field("slug", root.line("name"), "name")
	default:
		r.issue(doc.Line, "dataProduct", "name the data product: give dataProduct (its address in Plaza) or name")
	}
	pc.in.Name = name
	r.field("name", root.line("name"), "name")
	if name == "" {
		pc.in.Name = dp
		r.field("name", root.line("dataProduct"), "dataProduct")
	}
	if src := firstNonEmpty(dp, name); src != "" && pc.in.Slug != src {
		r.note("The product's address is %q (from %q).", pc.in.Slug, src)
	}

	pc.in.Version = strings.TrimSpace(root.text("version"))
	r.field("version", root.line("version"), "version")
	if len(pc.in.Version) > 32 {
		r.issue(root.line("version"), "version", "a version has at most 32 characters")
	}
	status := strings.ToLower(strings.TrimSpace(root.text("status")))
	pc.report.Status, pc.report.PlazaStatus = status, odcsStatusOf[status]
	if status != "" && pc.report.PlazaStatus == "" {
		r.note("Status %q is not one of ODCS's proposed, draft, active, deprecated or retired.", status)
	}
	pc.domain, pc.domainLine = strings.TrimSpace(root.text("domain")), root.line("domain")
	r.field("domain", pc.domainLine, "domain")
	if pc.domain == "" {
		r.issue(doc.Line, "domain", "name the Plaza domain that owns the product (its slug, like sales)")
	}

	descExtra := r.readDescription(root, pc)
	r.readTags(root, pc)
	var schemaExtra []*yaml.Node
	if sn := root.take("schema"); sn != nil && sn.Kind == yaml.SequenceNode {
		for i, item := range sn.Content {
			if x := r.readSchemaObject(item, idx("schema", i), pc); x != nil {
				schemaExtra = append(schemaExtra, x)
			}
		}
	}
	slaExtra := r.readSLA(root, pc)
	supportExtra := r.readSupport(root, pc)
	teamExtra := r.readTeam(root, doc, pc)
	customExtra := r.readCustom(root, pc)

	// Plain kept keys first, then the parts Plaza also writes, in a fixed
	// order: an export read back yields the same text.
	r.keepRest(root, extra)
	addIf(extra, "description", descExtra)
	if len(schemaExtra) > 0 {
		addPair(extra, "schema", seqOf(schemaExtra))
	}
	if len(slaExtra) > 0 {
		addPair(extra, "slaProperties", seqOf(slaExtra))
	}
	addIf(extra, "support", supportExtra)
	addIf(extra, "team", teamExtra)
	addIf(extra, "customProperties", customExtra)
	if len(extra.Content) > 0 {
		text, err := encodeYAML(extra, "Parts of the imported ODCS contract that Plaza keeps but does not use; exports include them as they are.")
		if err != nil {
			r.issue(0, "", "the parts Plaza keeps could not be written back: "+err.Error())
		}
		pc.in.ContractExtra = string(text)
	}
	pc.report.Kept, pc.report.Notes = r.kept, r.notes
	return pc
}

// readDescription maps description.purpose, usage and limitations to the
// summary, description and terms of use.
func (r *contractReader) readDescription(root *ymap, pc *parsedContract) *yaml.Node {
	dm := asMap(root.take("description"), "description")
	if dm == nil {
		return nil
	}
	purpose := dm.text("purpose")
	summary, cut := summaryOf(purpose)
	pc.in.Summary = summary
	pc.in.Description = dm.text("usage")
	pc.in.TermsOfUse = dm.text("limitations")
	r.field("summary", dm.line("purpose"), "description.purpose")
	r.field("description", dm.line("usage"), "description.usage")
	r.field("terms_of_use", dm.line("limitations"), "description.limitations")
	x := newMap()
	if cut {
		addPair(x, "purpose", strNode(strings.TrimSpace(purpose)))
		r.note("description.purpose is longer than a summary (300 characters): the summary is its beginning; the full text is kept for export.")
	}
	r.keepRest(dm, x)
	return x
}

// summaryOf is purpose as a summary of at most 300 characters, and whether
// it had to be cut.
func summaryOf(purpose string) (string, bool) {
	s := strings.TrimSpace(purpose)
	if utf8.RuneCountInString(s) <= 300 {
		return s, false
	}
	r := []rune(s)[:299]
	if i := strings.LastIndexAny(string(r), " \n\t"); i > 200 {
		return strings.TrimSpace(string(r)[:i]) + "…", true
	}
	return string(r) + "…", true
}

func (r *contractReader) readTags(root *ymap, pc *parsedContract) {
	tn := root.take("tags")
	if tn == nil || tn.Kind != yaml.SequenceNode {
		return
	}
	r.field("tags", root.line("tags"), "tags")
	for _, t := range tn.Content {
		s := strings.TrimSpace(scalarText(t))
		tag := tagOf(s)
		switch {
		case tag == "":
			r.note("Tag %q has no letters or digits; left out.", s)
			continue
		case tag != s:
			r.note("Tag %q becomes %q.", s, tag)
		}
		pc.in.Tags = append(pc.in.Tags, tag)
	}
}

// tagOf turns a tag into Plaza's form: lower-case letters, digits, hyphens.
func tagOf(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if b.Len() > 0 && !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	t := strings.TrimSuffix(b.String(), "-")
	if len(t) > 40 {
		t = strings.TrimSuffix(t[:40], "-")
	}
	return t
}

// readSchemaObject maps one schema object to an output port, its
// properties to columns and its quality rules; it returns what it keeps.
func (r *contractReader) readSchemaObject(item *yaml.Node, path string, pc *parsedContract) *yaml.Node {
	om := asMap(item, path)
	if om == nil {
		return nil
	}
	i := len(pc.in.OutputPorts)
	f := fmt.Sprintf("output_ports[%d]", i)
	name := strings.TrimSpace(om.text("name"))
	if name == "" {
		r.issue(item.Line, path+".name", "name the schema object: it becomes an output port")
	}
	port := PortInput{Name: name, Slug: Slugify(name)}
	if id := strings.TrimSpace(scalarText(om.peek("id"))); id != "" && slugPattern.MatchString(id) && len(id) <= 60 {
		port.Slug = id // a stable id that is a valid address names the port
		om.take("id")
	}
	r.field(f+".name", om.line("name"), path+".name")
	port.Format = strings.ToLower(strings.TrimSpace(om.text("physicalType")))
	switch port.Format {
	case "":
		port.Format = "table"
	case "topic":
		port.Format = "stream"
	}
	r.field(f+".format", om.line("physicalType"), path+".physicalType")
	port.Description = om.text("description")
	r.field(f+".description", om.line("description"), path+".description")

	// Rules of the object come before those of its properties, whatever
	// the order of the keys, so an export reads back in the same order.
	keptRules := r.readQuality(om.take("quality"), path+".quality", port.Slug, "", pc)
	var keptProps []*yaml.Node
	if pn := om.take("properties"); pn != nil && pn.Kind == yaml.SequenceNode {
		for j, p := range pn.Content {
			col, x := r.readProperty(p, idx(path+".properties", j), fmt.Sprintf("%s.columns[%d]", f, len(port.Columns)), port.Slug, pc)
			if col == nil {
				continue
			}
			port.Columns = append(port.Columns, *col)
			if x != nil {
				keptProps = append(keptProps, x)
			}
		}
	}
	pc.in.OutputPorts = append(pc.in.OutputPorts, port)

	x := newMap()
	addPair(x, "name", strNode(name))
	r.keepRest(om, x)
	if len(keptProps) > 0 {
		addPair(x, "properties", seqOf(keptProps))
	}
	if len(keptRules) > 0 {
		addPair(x, "quality", seqOf(keptRules))
	}
	if len(x.Content) == 2 {
		return nil
	}
	return x
}

// readProperty maps one property to a column.
func (r *contractReader) readProperty(item *yaml.Node, path, f string, portSlug string, pc *parsedContract) (*ColumnInput, *yaml.Node) {
	pm := asMap(item, path)
	if pm == nil {
		return nil, nil
	}
	c := ColumnInput{Name: strings.TrimSpace(pm.text("name"))}
	if c.Name == "" {
		r.issue(item.Line, path+".name", "name the property: it becomes a column")
	}
	r.field(f+".name", pm.line("name"), path+".name")
	logical := strings.TrimSpace(pm.text("logicalType"))
	if logical != "" && !slices.Contains(odcsLogicalTypes, logical) {
		r.issue(pm.line("logicalType"), path+".logicalType", fmt.Sprintf("unknown type %q (ODCS logical types: %s)", logical, strings.Join(odcsLogicalTypes, ", ")))
	}
	physical := strings.TrimSpace(scalarText(pm.peek("physicalType"))) // kept as it is: it goes back out on export
	c.Type = columnType(logical, physical)
	switch {
	case logical != "":
		r.field(f+".type", pm.line("logicalType"), path+".logicalType")
	case physical != "":
		r.field(f+".type", pm.line("physicalType"), path+".physicalType")
	default:
		r.issue(item.Line, path, "give the property a logicalType (string, integer, ...) or a physicalType")
	}
	c.Nullable = !boolOf(pm.take("required"))
	c.PrimaryKey = boolOf(pm.take("primaryKey"))
	c.Description = pm.text("description")
	r.field(f+".description", pm.line("description"), path+".description")
	if class := strings.ToLower(strings.TrimSpace(scalarText(pm.peek("classification")))); piiClasses[class] {
		c.PII = true
		pm.take("classification")
	} else if class != "" {
		pc.propClasses = append(pc.propClasses, class)
	}
	customs := r.readColumnCustom(pm, path, f, &c)
	defs := r.readColumnDefinitions(pm, path, f, &c)
	rules := r.readQuality(pm.take("quality"), path+".quality", portSlug, c.Name, pc)

	x := newMap()
	addPair(x, "name", strNode(c.Name))
	r.keepRest(pm, x)
	addIf(x, "customProperties", customs)
	addIf(x, "authoritativeDefinitions", defs)
	if len(rules) > 0 {
		addPair(x, "quality", seqOf(rules))
	}
	if len(x.Content) == 2 {
		x = nil
	}
	return &c, x
}

// readColumnCustom reads the custom properties Plaza understands on a
// property (pii, term) and returns the others.
func (r *contractReader) readColumnCustom(pm *ymap, path, f string, c *ColumnInput) *yaml.Node {
	cn := pm.take("customProperties")
	if cn == nil || cn.Kind != yaml.SequenceNode {
		return keepWhole(cn)
	}
	kept := newSeq()
	for k, e := range cn.Content {
		em := asMap(e, idx(path+".customProperties", k))
		prop := ""
		if em != nil {
			prop = strings.ToLower(strings.TrimSpace(scalarText(em.peek("property"))))
		}
		switch prop {
		case "pii", "ispii", "personaldata", "containspii":
			c.PII = c.PII || truthy(em.peek("value"))
		case "term", "businessterm", "glossaryterm":
			if t := strings.TrimSpace(scalarText(em.peek("value"))); t != "" && c.Term == "" {
				c.Term = t
				r.field(f+".term", e.Line, em.path)
				continue
			}
			fallthrough
		default:
			kept.Content = append(kept.Content, e)
			r.kept = append(r.kept, idx(path+".customProperties", k))
		}
	}
	if len(kept.Content) == 0 {
		return nil
	}
	return kept
}

// readColumnDefinitions takes a business definition that points at a Plaza
// glossary term as the column's term and returns the other definitions.
func (r *contractReader) readColumnDefinitions(pm *ymap, path, f string, c *ColumnInput) *yaml.Node {
	dn := pm.take("authoritativeDefinitions")
	if dn == nil || dn.Kind != yaml.SequenceNode {
		return keepWhole(dn)
	}
	kept := newSeq()
	for k, e := range dn.Content {
		dpath := idx(path+".authoritativeDefinitions", k)
		if em := asMap(e, dpath); em != nil && c.Term == "" {
			typ := strings.ToLower(strings.ReplaceAll(scalarText(em.peek("type")), " ", ""))
			if ref := glossaryRef(scalarText(em.peek("url"))); typ == "businessdefinition" && ref != "" {
				c.Term = ref
				r.field(f+".term", e.Line, dpath+".url")
				continue
			}
		}
		kept.Content = append(kept.Content, e)
		r.kept = append(r.kept, dpath)
	}
	if len(kept.Content) == 0 {
		return nil
	}
	return kept
}

// glossaryRef reads "<domain>/<term>" from a Plaza glossary address
// (/glossary/<domain>/<term>, absolute or not), or "".
func glossaryRef(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 3 || parts[0] != "glossary" || !slugPattern.MatchString(parts[1]) || !slugPattern.MatchString(parts[2]) {
		return ""
	}
	return parts[1] + "/" + parts[2]
}

// columnType is the Plaza type of a property: its logical type (number with
// a decimal physical type is decimal), else its physical type read as SQL.
func columnType(logical, physical string) string {
	p := strings.ToLower(strings.TrimSpace(physical))
	base := p
	if i := strings.IndexAny(base, "([< "); i > 0 {
		base = base[:i]
	}
	if logical != "" {
		if logical == "number" && (base == "decimal" || base == "numeric") {
			return "decimal"
		}
		return logical
	}
	switch base {
	case "":
		return ""
	case "varchar", "char", "character", "nvarchar", "nchar", "text", "string", "uuid", "bpchar", "clob", "citext":
		return "string"
	case "int", "integer", "bigint", "smallint", "tinyint", "int2", "int4", "int8", "serial", "bigserial", "smallserial", "long", "short", "hugeint":
		return "integer"
	case "float", "double", "real", "float4", "float8", "double precision":
		return "number"
	case "decimal", "numeric", "money":
		return "decimal"
	case "bool", "boolean", "bit":
		return "boolean"
	case "date":
		return "date"
	case "timestamp", "timestamptz", "datetime", "datetime2", "timestamp_ntz", "timestamp_ltz", "timestamp_tz":
		return "timestamp"
	case "time", "timetz":
		return "time"
	case "array", "list":
		return "array"
	case "struct", "map", "json", "jsonb", "object", "record", "variant":
		return "object"
	}
	return p
}

// logicalTypeOf is the ODCS logical type of a Plaza column type, or "".
func logicalTypeOf(plazaType string) string {
	switch t := columnType("", plazaType); {
	case slices.Contains(odcsLogicalTypes, plazaType):
		return plazaType
	case t == "decimal":
		return "number"
	case slices.Contains(odcsLogicalTypes, t):
		return t
	}
	return ""
}

// readQuality maps the rules Plaza can run to quality rules of port (and
// column) and returns the others, kept as they are.
func (r *contractReader) readQuality(qn *yaml.Node, path, port, column string, pc *parsedContract) []*yaml.Node {
	if qn == nil {
		return nil
	}
	if qn.Kind != yaml.SequenceNode {
		return []*yaml.Node{qn}
	}
	var kept []*yaml.Node
	for k, item := range qn.Content {
		rpath := idx(path, k)
		if item.Kind != yaml.MappingNode {
			kept = append(kept, item)
			continue
		}
		rule, marks := stripMarks(item)
		kind := marks[markKind]
		if kind == "" {
			kind = qualityKindOf(rule)
		}
		if kind == "" {
			kept = append(kept, item)
			r.kept = append(r.kept, rpath)
			continue
		}
		q := QualityRuleInput{Port: port, Column: column, Kind: kind, Description: ruleDescription(rule), Blocking: ruleBlocking(rule)}
		if marks[markKind] != "" { // a rule Plaza wrote: its name is only a label
			q.Description = truncRunes(strings.TrimSpace(scalarText(mapGet(rule, "description"))), maxRuleText)
		}
		if p, ok := marks[markPort]; ok {
			q.Port, q.Column = p, marks[markColumn]
			if (q.Port != "" && !slugPattern.MatchString(q.Port)) || len(q.Port) > 60 || len(q.Column) > 128 {
				r.issue(item.Line, rpath+".customProperties", "plazaPort and plazaColumn name a port slug and a column name")
			}
		}
		switch spec, ok := marks[markSpec]; {
		case ok:
			q.Spec = spec
		case marks[markKind] == "":
			q.Spec = nodeJSON(rule)
		}
		r.field(fmt.Sprintf("quality[%d].kind", len(pc.in.Quality)), item.Line, rpath)
		pc.in.Quality = append(pc.in.Quality, q)
		if strings.EqualFold(scalarText(asMap(rule, "").peek("type")), "custom") {
			r.note("%s is a custom rule (engine %q): Plaza lists it as a sql rule and keeps the engine and implementation in its spec.", rpath, scalarText(asMap(rule, "").peek("engine")))
		}
	}
	return kept
}

// stripMarks returns rule without Plaza's marker custom properties, and the markers.
func stripMarks(rule *yaml.Node) (*yaml.Node, map[string]string) {
	marks := map[string]string{}
	cp := mapGet(rule, "customProperties")
	if cp == nil || cp.Kind != yaml.SequenceNode {
		return rule, marks
	}
	rest := newSeq()
	for _, e := range cp.Content {
		prop := scalarText(mapGet(e, "property"))
		switch prop {
		case markKind, markSpec, markPort, markColumn:
			marks[prop] = scalarText(mapGet(e, "value"))
		default:
			rest.Content = append(rest.Content, e)
		}
	}
	if len(marks) == 0 {
		return rule, marks
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: rule.Tag, Style: rule.Style, Line: rule.Line}
	for i := 0; i+1 < len(rule.Content); i += 2 {
		if rule.Content[i].Value == "customProperties" {
			if len(rest.Content) == 0 {
				continue
			}
			out.Content = append(out.Content, rule.Content[i], rest)
			continue
		}
		out.Content = append(out.Content, rule.Content[i], rule.Content[i+1])
	}
	return out, marks
}

// qualityKindOf is the Plaza rule kind of an ODCS quality rule, or "" when
// Plaza does not run it.
func qualityKindOf(rule *yaml.Node) string {
	rm := asMap(rule, "")
	if rm == nil {
		return ""
	}
	typ := strings.ToLower(strings.TrimSpace(scalarText(rm.peek("type"))))
	metric := strings.TrimSpace(scalarText(rm.peek("metric")))
	if metric == "" {
		metric = strings.TrimSpace(scalarText(rm.peek("rule"))) // deprecated spelling
	}
	switch {
	case typ == "sql", typ == "custom":
		return "sql"
	case typ == "library" || typ == "" && metric != "":
		switch metric {
		case "nullValues":
			return "not_null"
		case "duplicateValues":
			return "unique"
		case "rowCount":
			return "row_count"
		case "invalidValues":
			if mapGet(mapGet(rule, "arguments"), "validValues") != nil {
				return "accepted_values"
			}
		}
	}
	return ""
}

func ruleDescription(rule *yaml.Node) string {
	d := strings.TrimSpace(scalarText(mapGet(rule, "description")))
	if d == "" {
		d = strings.TrimSpace(scalarText(mapGet(rule, "name")))
	}
	return truncRunes(d, maxRuleText)
}

func ruleBlocking(rule *yaml.Node) bool {
	switch strings.ToLower(strings.TrimSpace(scalarText(mapGet(rule, "severity")))) {
	case "error", "critical", "fatal", "blocker", "high":
		return true
	}
	return false
}

// SLA properties Plaza reads: freshness (latency), availability and response time.
const (
	slaFreshness = iota
	slaAvailability
	slaResponse
	slaSlots
)

func slaSlot(property string) int {
	switch strings.ToLower(strings.TrimSpace(property)) {
	case "latency", "freshness":
		return slaFreshness
	case "availability":
		return slaAvailability
	case "responsetime":
		return slaResponse
	}
	return -1
}

// readSLA reads the first latency (or freshness), availability and
// responseTime entries; the rest are kept.
func (r *contractReader) readSLA(root *ymap, pc *parsedContract) []*yaml.Node {
	sn := root.take("slaProperties")
	if sn == nil || sn.Kind != yaml.SequenceNode {
		if sn != nil {
			return []*yaml.Node{sn}
		}
		return nil
	}
	var left [slaSlots]*yaml.Node
	var done [slaSlots]bool
	var whole []*yaml.Node
	for i, item := range sn.Content {
		path := idx("slaProperties", i)
		em := asMap(item, path)
		slot := -1
		if em != nil && em.peek("value") != nil {
			slot = slaSlot(scalarText(em.peek("property")))
		}
		if slot < 0 || done[slot] {
			whole = append(whole, item)
			r.kept = append(r.kept, path)
			continue
		}
		done[slot] = true
		switch slot {
		case slaFreshness:
			if h, ok := r.slaHours(em, path); ok {
				pc.in.FreshnessHours = h
			}
			r.field("freshness_hours", em.line("value"), path+".value")
		case slaAvailability:
			pc.in.Availability = slaText(em, true)
			r.field("availability", em.line("value"), path+".value")
		case slaResponse:
			pc.in.ResponseTime = slaText(em, false)
			r.field("response_time", em.line("value"), path+".value")
		}
		lx := newMap()
		pk, pv := em.lookup("property")
		addPair(lx, pk.Value, pv)
		em.used["property"] = true
		r.keepRest(em, lx)
		if len(lx.Content) > 2 {
			left[slot] = lx
		}
	}
	var out []*yaml.Node
	for _, l := range left {
		if l != nil {
			out = append(out, l)
		}
	}
	return append(out, whole...)
}

var isoDuration = regexp.MustCompile(`^(?i)P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?)?$`)

// slaHours reads a latency as whole hours: a number with a unit, or an
// ISO 8601 duration (P1D, PT4H).
func (r *contractReader) slaHours(em *ymap, path string) (int, bool) {
	v := strings.TrimSpace(scalarText(em.take("value")))
	unit := strings.ToLower(strings.TrimSpace(em.text("unit")))
	var hours float64
	if m := isoDuration.FindStringSubmatch(v); m != nil && v != "P" && !strings.EqualFold(v, "PT") {
		d, _ := strconv.ParseFloat(firstNonEmpty(m[1], "0"), 64)
		h, _ := strconv.ParseFloat(firstNonEmpty(m[2], "0"), 64)
		mins, _ := strconv.ParseFloat(firstNonEmpty(m[3], "0"), 64)
		hours = d*24 + h + mins/60
	} else {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			r.issue(em.line("value"), path+".value", "give the latency as a number with a unit (4 with unit d) or an ISO 8601 duration (PT4H)")
			return 0, false
		}
		factor, ok := map[string]float64{
			"h": 1, "hr": 1, "hrs": 1, "hour": 1, "hours": 1,
			"d": 24, "day": 24, "days": 24,
			"w": 168, "wk": 168, "week": 168, "weeks": 168,
			"m": 1.0 / 60, "min": 1.0 / 60, "mins": 1.0 / 60, "minute": 1.0 / 60, "minutes": 1.0 / 60,
			"s": 1.0 / 3600, "sec": 1.0 / 3600, "second": 1.0 / 3600, "seconds": 1.0 / 3600,
			"mo": 730, "month": 730, "months": 730,
			"y": 8760, "yr": 8760, "yrs": 8760, "year": 8760, "years": 8760,
		}[unit]
		if !ok {
			msg := "give the latency's unit: h (hours), d (days), w, m (minutes) or y"
			if unit != "" {
				msg = fmt.Sprintf("unknown unit %q; use h (hours), d (days), w, m (minutes) or y", unit)
			}
			r.issue(em.line("unit"), path+".unit", msg)
			return 0, false
		}
		hours = f * factor
	}
	whole := math.Ceil(hours - 1e-9)
	if whole != hours && hours > 0 {
		r.note("The latency %s %s is rounded up to %d hours.", v, unit, int(math.Min(whole, 1e6)))
	}
	return int(math.Min(whole, 1e6)), true
}

// slaText is an SLA value as Plaza shows it: "99.9%", "4 h".
func slaText(em *ymap, percent bool) string {
	v := strings.TrimSpace(scalarText(em.take("value")))
	unit := strings.TrimSpace(em.text("unit"))
	switch {
	case percent && (unit == "%" || strings.EqualFold(unit, "percent") || strings.EqualFold(unit, "pct")):
		return v + "%"
	case unit != "":
		return v + " " + unit
	}
	return v
}

// readSupport takes the first support channel's URL (or its name) as the
// product's support channel; the rest is kept, and the first entry's
// remainder always comes first in the kept list.
func (r *contractReader) readSupport(root *ymap, pc *parsedContract) *yaml.Node {
	sn := root.take("support")
	if sn == nil || sn.Kind != yaml.SequenceNode || len(sn.Content) == 0 {
		return keepWhole(sn)
	}
	first := newMap()
	if fm := asMap(sn.Content[0], "support[0]"); fm != nil {
		if u := strings.TrimSpace(scalarText(fm.peek("url"))); u != "" {
			pc.in.SupportChannel = u
			fm.take("url")
			r.field("support_channel", fm.line("url"), "support[0].url")
		} else {
			pc.in.SupportChannel = strings.TrimSpace(fm.text("channel"))
			r.field("support_channel", fm.line("channel"), "support[0].channel")
		}
		r.keepRest(fm, first)
	}
	for i := 1; i < len(sn.Content); i++ {
		r.kept = append(r.kept, idx("support", i))
	}
	if len(first.Content) == 0 && len(sn.Content) == 1 {
		return nil
	}
	return seqOf(append([]*yaml.Node{first}, sn.Content[1:]...))
}

// readTeam reads the owning team: the v3.1 object's name (or id), or the
// members of a v3.0 list, which is kept as the object's members.
func (r *contractReader) readTeam(root *ymap, doc *yaml.Node, pc *parsedContract) *yaml.Node {
	pc.team = contractTeamRef{line: doc.Line, path: "team"}
	tn := root.take("team")
	if tn == nil {
		return nil
	}
	pc.team.line = root.line("team")
	r.field("team", pc.team.line, "team")
	switch tn.Kind {
	case yaml.MappingNode:
		tm := asMap(tn, "team")
		for _, n := range []string{strings.TrimSpace(tm.text("name")), strings.TrimSpace(scalarText(tm.peek("id")))} {
			if n != "" {
				pc.team.names = append(pc.team.names, n)
			}
		}
		if tm.peek("name") != nil {
			pc.team.line, pc.team.path = tm.line("name"), "team.name"
			r.field("team", pc.team.line, pc.team.path)
		}
		pc.team.members = usernames(tm.peek("members"))
		x := newMap()
		r.keepRest(tm, x)
		return x
	case yaml.SequenceNode:
		pc.team.members = usernames(tn)
		r.kept = append(r.kept, "team")
		r.note("team is an ODCS v3.0 list of members: Plaza keeps it as team.members and exports the v3.1 team object.")
		x := newMap()
		addPair(x, "members", tn)
		return x
	}
	return keepWhole(tn)
}

func usernames(list *yaml.Node) []string {
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	var out []string
	for _, m := range list.Content {
		if u := strings.TrimSpace(scalarText(mapGet(m, "username"))); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// readCustom takes a top-level custom property classification naming a
// Plaza classification; the others are kept.
func (r *contractReader) readCustom(root *ymap, pc *parsedContract) *yaml.Node {
	cn := root.take("customProperties")
	if cn == nil || cn.Kind != yaml.SequenceNode {
		return keepWhole(cn)
	}
	kept := newSeq()
	for i, e := range cn.Content {
		path := idx("customProperties", i)
		if strings.EqualFold(strings.TrimSpace(scalarText(mapGet(e, "property"))), "classification") && pc.classification == "" {
			if v := strings.ToLower(strings.TrimSpace(scalarText(mapGet(e, "value")))); slices.Contains(Classifications, v) {
				pc.classification = v
				r.field("classification", e.Line, path)
				continue
			}
		}
		kept.Content = append(kept.Content, e)
		r.kept = append(r.kept, path)
	}
	if len(kept.Content) == 0 {
		return nil
	}
	return kept
}

// odcsSchema is the compiled ODCS JSON schema.
var odcsSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compileSchema("odcs-v3.1.0.json", odcsSchemaJSON)
})

func compileSchema(name string, text []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // dates, date-times and URIs must be what they say: exports are checked the same way
	if err := c.AddResource(name, doc); err != nil {
		return nil, err
	}
	return c.Compile(name)
}

var schemaPrinter = message.NewPrinter(language.English)

// schemaIssues validates a contract against the ODCS v3.1.0 JSON schema and
// names the line of each problem.
func schemaIssues(doc *yaml.Node) []contractIssue {
	sch, err := odcsSchema()
	if err != nil {
		return []contractIssue{{msg: "the ODCS schema could not be loaded: " + err.Error()}}
	}
	where := map[string]contractLoc{}
	v := jsonValue(doc, nil, "", where)
	err = sch.Validate(v)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []contractIssue
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := where[strings.Join(e.InstanceLocation, "\x00")]
			msg := e.ErrorKind.LocalizedString(schemaPrinter)
			if _, ok := e.ErrorKind.(*kind.FalseSchema); ok && len(e.InstanceLocation) > 0 {
				// unevaluatedProperties: false also blames the known
				// fields beside an unknown one; name only the unknown.
				if odcsFields()[e.InstanceLocation[len(e.InstanceLocation)-1]] {
					return
				}
				msg = "not a field of ODCS v3.1"
			}
			out = append(out, contractIssue{loc.line, loc.path, msg})
			return
		}
		causes := e.Causes
		if len(causes) > 1 && isAlternative(e) {
			// One of several shapes was expected: report the one the
			// contract came closest to, the one that failed deepest.
			best := causes[0]
			for _, c := range causes[1:] {
				if depthOf(c) > depthOf(best) {
					best = c
				}
			}
			causes = []*jsonschema.ValidationError{best}
		}
		for _, c := range causes {
			walk(c)
		}
	}
	walk(ve)
	if len(out) == 0 {
		out = append(out, contractIssue{msg: "does not follow the ODCS v3.1.0 schema: " + truncRunes(ve.Error(), 500)})
	}
	return out
}

// odcsFields are the names of all the fields the ODCS schema defines.
var odcsFields = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if props, ok := t["properties"].(map[string]any); ok {
				for k := range props {
					names[k] = true
				}
			}
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	var doc any
	if json.Unmarshal(odcsSchemaJSON, &doc) == nil {
		walk(doc)
	}
	return names
})

func isAlternative(e *jsonschema.ValidationError) bool {
	kw := e.ErrorKind.KeywordPath()
	return len(kw) > 0 && (kw[len(kw)-1] == "oneOf" || kw[len(kw)-1] == "anyOf")
}

func depthOf(e *jsonschema.ValidationError) int {
	d := len(e.InstanceLocation)
	for _, c := range e.Causes {
		if cd := depthOf(c); cd > d {
			d = cd
		}
	}
	return d
}

// jsonValue converts an expanded YAML tree into the value a JSON-schema
// validator takes, noting where each value is (line and contract path) by
// its location tokens.
func jsonValue(n *yaml.Node, tokens []string, path string, where map[string]contractLoc) any {
	where[strings.Join(tokens, "\x00")] = contractLoc{n.Line, path}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			m[k] = jsonValue(n.Content[i+1], append(tokens[:len(tokens):len(tokens)], k), join(path, k), where)
		}
		return m
	case yaml.SequenceNode:
		a := make([]any, len(n.Content))
		for i, c := range n.Content {
			a[i] = jsonValue(c, append(tokens[:len(tokens):len(tokens)], strconv.Itoa(i)), idx(path, i), where)
		}
		return a
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil
}

// scalarValue is a YAML scalar as a JSON value: numbers as json.Number,
// timestamps and everything else unknown as their text.
func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i any
		if n.Decode(&i) == nil {
			switch v := i.(type) {
			case int:
				return json.Number(strconv.Itoa(v))
			case int64:
				return json.Number(strconv.FormatInt(v, 10))
			case uint64:
				return json.Number(strconv.FormatUint(v, 10))
			case float64:
				return floatNumber(v, n.Value)
			}
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return floatNumber(f, n.Value)
		}
	}
	return n.Value
}

func floatNumber(f float64, text string) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return text
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// nodeJSON writes a YAML tree as JSON, keeping the order of keys.
func nodeJSON(n *yaml.Node) string {
	var b bytes.Buffer
	writeJSON(&b, n)
	return b.String()
}

func writeJSON(b *bytes.Buffer, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonString(n.Content[i].Value))
			b.WriteByte(':')
			writeJSON(b, n.Content[i+1])
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, c)
		}
		b.WriteByte(']')
	default:
		switch v := scalarValue(n).(type) {
		case nil:
			b.WriteString("null")
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case json.Number:
			b.WriteString(string(v))
		case string:
			b.WriteString(jsonString(v))
		}
	}
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonNode reads JSON text (a rule's spec) back into a YAML tree, keeping
// the order of keys; nil when it is not JSON or nests too deep.
func jsonNode(text string) *yaml.Node {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	n, err := readJSONValue(dec, 0)
	if err != nil || dec.More() {
		return nil
	}
	if _, err := dec.Token(); err == nil { // trailing garbage
		return nil
	}
	return n
}

func readJSONValue(dec *json.Decoder, depth int) (*yaml.Node, error) {
	if depth > maxContractDepth {
		return nil, errors.New("too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := newMap()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("key is not a string")
				}
				v, err := readJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				addPair(m, k, v)
			}
			_, err := dec.Token()
			return m, err
		case '[':
			s := newSeq()
			for dec.More() {
				v, err := readJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				s.Content = append(s.Content, v)
			}
			_, err := dec.Token()
			return s, err
		}
		return nil, errors.New("unexpected delimiter")
	case string:
		return strNode(t), nil
	case json.Number:
		return numNode(string(t)), nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, errors.New("unexpected token")
}

// ymap reads a YAML mapping, remembering which keys were used so that the
// rest can be kept.
type ymap struct {
	n    *yaml.Node
	path string
	used map[string]bool
}

func asMap(n *yaml.Node, path string) *ymap {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	return &ymap{n: n, path: path, used: map[string]bool{}}
}

func (m *ymap) lookup(key string) (k, v *yaml.Node) {
	if m == nil {
		return nil, nil
	}
	for i := 0; i+1 < len(m.n.Content); i += 2 {
		if m.n.Content[i].Value == key {
			return m.n.Content[i], m.n.Content[i+1]
		}
	}
	return nil, nil
}

// peek returns the value of key without using it.
func (m *ymap) peek(key string) *yaml.Node {
	_, v := m.lookup(key)
	return v
}

// take returns the value of key and marks it used.
func (m *ymap) take(key string) *yaml.Node {
	_, v := m.lookup(key)
	if v != nil {
		m.used[key] = true
	}
	return v
}

// text takes key's value as text ("" unless it is a scalar).
func (m *ymap) text(key string) string { return scalarText(m.take(key)) }

// line is the line of key, or of the mapping when key is absent.
func (m *ymap) line(key string) int {
	if k, _ := m.lookup(key); k != nil {
		return k.Line
	}
	if m == nil {
		return 0
	}
	return m.n.Line
}

// at is the contract path of key.
func (m *ymap) at(key string) string { return join(m.path, key) }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func idx(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func scalarText(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

func boolOf(n *yaml.Node) bool {
	var b bool
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" && n.Decode(&b) == nil && b
}

func truthy(n *yaml.Node) bool {
	return boolOf(n) || strings.EqualFold(strings.TrimSpace(scalarText(n)), "true")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// keepWhole is a value Plaza could not read, kept as it is (the schema
// check reports its shape).
func keepWhole(n *yaml.Node) *yaml.Node { return n }

func newMap() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func newSeq() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"} }

func seqOf(items []*yaml.Node) *yaml.Node {
	s := newSeq()
	s.Content = items
	return s
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func numNode(text string) *yaml.Node {
	tag := "!!int"
	if strings.ContainsAny(text, ".eE") {
		tag = "!!float"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: text}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func addPair(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, strNode(key), v)
}

// addIf adds key when v holds something.
func addIf(m *yaml.Node, key string, v *yaml.Node) {
	if v != nil && (v.Kind == yaml.ScalarNode || len(v.Content) > 0) {
		addPair(m, key, v)
	}
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// mapSet replaces key's value, or adds key at the end.
func mapSet(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	addPair(m, key, v)
}

func mapDel(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
			return
		}
	}
}

// cloneNode copies a tree so an export never changes the kept one.
func cloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = cloneNode(k)
	}
	return &c
}

// encodeYAML writes a tree as YAML with two-space indents and an optional
// head comment.
func encodeYAML(n *yaml.Node, comment string) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: comment, Content: []*yaml.Node{n}}
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// contractExtra reads a product's kept contract parts; an empty mapping when there are none.
func contractExtra(text string) (*yaml.Node, error) {
	if strings.TrimSpace(text) == "" {
		return newMap(), nil
	}
	n, issues := readYAML([]byte(text))
	if len(issues) > 0 {
		return nil, errors.New(issues[0].String())
	}
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("not a mapping")
	}
	return n, nil
}

// contractID is the id of a product's contract: the one it was imported
// with, else its URN.
func contractID(p *Product, kept *yaml.Node) string {
	if id := strings.TrimSpace(scalarText(mapGet(kept, "id"))); id != "" {
		return id
	}
	return p.URN()
}

// ExportContract writes p as an ODCS v3.1.0 data contract in YAML, with
// the parts kept from an imported contract merged back. p must be loaded
// with everything (Store.ProductBySlug or ProductByID).
func ExportContract(p *Product) ([]byte, error) {
	kept, err := contractExtra(p.ContractExtra)
	if err != nil {
		return nil, fmt.Errorf("export contract of %s: kept parts: %w", p.Slug, err)
	}
	root := newMap()
	addPair(root, "apiVersion", strNode(ODCSAPIVersion))
	addPair(root, "kind", strNode("DataContract"))
	addPair(root, "id", strNode(contractID(p, kept)))
	addPair(root, "name", strNode(p.Name))
	addPair(root, "version", strNode(p.Version))
	addPair(root, "status", strNode(odcsStatus(p.Status)))
	addPair(root, "domain", strNode(p.Domain.Slug))
	addPair(root, "dataProduct", strNode(p.Slug))
	addIf(root, "description", exportDescription(p, mapGet(kept, "description")))
	if tags := p.TagNames(); len(tags) > 0 {
		s := newSeq()
		for _, t := range tags {
			s.Content = append(s.Content, strNode(t))
		}
		addPair(root, "tags", s)
	}
	addIf(root, "schema", exportSchema(p, mapGet(kept, "schema")))
	addIf(root, "slaProperties", exportSLA(p, mapGet(kept, "slaProperties")))
	addIf(root, "support", exportSupport(p, mapGet(kept, "support")))
	team := newMap()
	addPair(team, "name", strNode(p.Team.Slug))
	appendKept(team, mapGet(kept, "team"), "name")
	addPair(root, "team", team)
	custom := newSeq()
	custom.Content = append(custom.Content, customProperty("classification", strNode(p.Classification)))
	if kc := mapGet(kept, "customProperties"); kc != nil && kc.Kind == yaml.SequenceNode {
		custom.Content = append(custom.Content, cloneNode(kc).Content...)
	}
	addPair(root, "customProperties", custom)
	appendKept(root, kept, "id", "description", "schema", "slaProperties", "support", "team", "customProperties")

	out, err := encodeYAML(root, fmt.Sprintf("Data contract of %s (%s): Open Data Contract Standard %s, written by Plaza.", p.Name, p.URN(), ODCSAPIVersion))
	if err != nil {
		return nil, fmt.Errorf("export contract of %s: %w", p.Slug, err)
	}
	return out, nil
}

// appendKept adds kept's keys that m does not have yet, except skip.
func appendKept(m, kept *yaml.Node, skip ...string) {
	if kept == nil || kept.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(kept.Content); i += 2 {
		k := kept.Content[i].Value
		if slices.Contains(skip, k) || mapGet(m, k) != nil {
			continue
		}
		m.Content = append(m.Content, cloneNode(kept.Content[i]), cloneNode(kept.Content[i+1]))
	}
}

func customProperty(name string, v *yaml.Node) *yaml.Node {
	m := newMap()
	addPair(m, "property", strNode(name))
	addPair(m, "value", v)
	return m
}

func exportDescription(p *Product, kept *yaml.Node) *yaml.Node {
	d := newMap()
	purpose := p.Summary
	if full := scalarText(mapGet(kept, "purpose")); full != "" {
		if s, cut := summaryOf(full); cut && s == p.Summary {
			purpose = full // the summary is still the beginning of the imported purpose
		}
	}
	for _, kv := range [][2]string{{"purpose", purpose}, {"usage", p.Description}, {"limitations", p.TermsOfUse}} {
		if kv[1] != "" {
			addPair(d, kv[0], strNode(kv[1]))
		}
	}
	appendKept(d, kept, "purpose")
	return d
}

// keptByName finds the first entry of a kept list named name that was not taken yet.
func keptByName(list *yaml.Node, name string, taken map[*yaml.Node]bool) *yaml.Node {
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	for _, e := range list.Content {
		if !taken[e] && scalarText(mapGet(e, "name")) == name {
			taken[e] = true
			return e
		}
	}
	return nil
}

func exportSchema(p *Product, kept *yaml.Node) *yaml.Node {
	out := newSeq()
	taken := map[*yaml.Node]bool{}
	placed := make([]bool, len(p.Quality))
	rulesAt := func(port, column string) []*yaml.Node {
		var rules []*yaml.Node
		for i, q := range p.Quality {
			if !placed[i] && q.Port == port && q.Column == column {
				placed[i] = true
				rules = append(rules, exportRule(q, false))
			}
		}
		return rules
	}
	var objects []*yaml.Node
	for _, port := range p.OutputPorts {
		kx := keptByName(kept, port.Name, taken)
		o := newMap()
		addPair(o, "name", strNode(port.Name))
		if port.Slug != Slugify(port.Name) && mapGet(kx, "id") == nil {
			addPair(o, "id", strNode(port.Slug))
		}
		format := port.Format
		if format == "stream" {
			format = "topic"
		}
		addPair(o, "physicalType", strNode(format))
		if port.Description != "" {
			addPair(o, "description", strNode(port.Description))
		}
		appendKept(o, kx, "name", "properties", "quality")
		props := newSeq()
		keptProps, propTaken := mapGet(kx, "properties"), map[*yaml.Node]bool{}
		for _, c := range port.Columns {
			props.Content = append(props.Content, exportProperty(c, keptByName(keptProps, c.Name, propTaken), rulesAt(port.Slug, c.Name)))
		}
		addIf(o, "properties", props)
		rules := seqOf(rulesAt(port.Slug, ""))
		if kq := mapGet(kx, "quality"); kq != nil && kq.Kind == yaml.SequenceNode {
			rules.Content = append(rules.Content, cloneNode(kq).Content...)
		}
		addIf(o, "quality", rules)
		objects = append(objects, o)
		out.Content = append(out.Content, o)
	}
	// Rules whose port or column is gone (or that belong to the whole
	// product) ride on the first object, with their place as markers.
	if len(objects) > 0 {
		var orphans []*yaml.Node
		for i, q := range p.Quality {
			if !placed[i] {
				orphans = append(orphans, exportRule(q, true))
			}
		}
		if len(orphans) > 0 {
			rules := mapGet(objects[0], "quality")
			if rules == nil {
				rules = newSeq()
				addPair(objects[0], "quality", rules)
			}
			rules.Content = append(rules.Content, orphans...)
		}
	}
	return out
}

func exportProperty(c Column, kx *yaml.Node, rules []*yaml.Node) *yaml.Node {
	o := newMap()
	addPair(o, "name", strNode(c.Name))
	if lt := logicalTypeOf(c.Type); lt != "" {
		addPair(o, "logicalType", strNode(lt))
	}
	if mapGet(kx, "physicalType") == nil && !slices.Contains(odcsLogicalTypes, c.Type) {
		addPair(o, "physicalType", strNode(c.Type))
	}
	if c.Description != "" {
		addPair(o, "description", strNode(c.Description))
	}
	if !c.Nullable {
		addPair(o, "required", boolNode(true))
	}
	if c.PrimaryKey {
		addPair(o, "primaryKey", boolNode(true))
	}
	keptClass := scalarText(mapGet(kx, "classification"))
	customs := newSeq()
	switch {
	case c.PII && keptClass == "":
		addPair(o, "classification", strNode("pii"))
	case c.PII && !piiClasses[strings.ToLower(keptClass)]:
		customs.Content = append(customs.Content, customProperty("pii", boolNode(true)))
	}
	skip := []string{"name", "customProperties", "authoritativeDefinitions", "quality"}
	if !c.PII && piiClasses[strings.ToLower(keptClass)] {
		skip = append(skip, "classification") // Plaza says the column is no longer personal data
	}
	appendKept(o, kx, skip...)
	if kc := mapGet(kx, "customProperties"); kc != nil && kc.Kind == yaml.SequenceNode {
		customs.Content = append(customs.Content, cloneNode(kc).Content...)
	}
	addIf(o, "customProperties", customs)
	defs := newSeq()
	if c.Term != nil {
		d := newMap()
		addPair(d, "type", strNode("businessDefinition"))
		addPair(d, "url", strNode(c.Term.Path()))
		addPair(d, "description", strNode("Plaza glossary: "+c.Term.Name))
		defs.Content = append(defs.Content, d)
	}
	if kd := mapGet(kx, "authoritativeDefinitions"); kd != nil && kd.Kind == yaml.SequenceNode {
		defs.Content = append(defs.Content, cloneNode(kd).Content...)
	}
	addIf(o, "authoritativeDefinitions", defs)
	q := seqOf(rules)
	if kq := mapGet(kx, "quality"); kq != nil && kq.Kind == yaml.SequenceNode {
		q.Content = append(q.Content, cloneNode(kq).Content...)
	}
	addIf(o, "quality", q)
	return o
}

// exportRule writes a quality rule: its spec when that is the ODCS rule
// it came from, else an ODCS rule built from its kind, with markers so
// that it reads back as it was. located adds the rule's port and column.
func exportRule(q QualityRule, located bool) *yaml.Node {
	var rule *yaml.Node
	if spec := jsonNode(q.Spec); spec != nil && spec.Kind == yaml.MappingNode && qualityKindOf(spec) == q.Kind {
		if _, marks := stripMarks(spec); len(marks) == 0 {
			rule = spec
		}
	}
	if rule != nil {
		if ruleDescription(rule) != truncRunes(strings.TrimSpace(q.Description), maxRuleText) {
			if q.Description == "" {
				mapDel(rule, "description")
			} else {
				mapSet(rule, "description", strNode(q.Description))
			}
		}
		if ruleBlocking(rule) != q.Blocking {
			mapSet(rule, "severity", strNode(map[bool]string{true: "error", false: "warning"}[q.Blocking]))
		}
	} else {
		rule = odcsRule(q)
		if q.Description != "" {
			addPair(rule, "description", strNode(q.Description))
		}
		addPair(rule, "severity", strNode(map[bool]string{true: "error", false: "warning"}[q.Blocking]))
		marks := newSeq()
		marks.Content = append(marks.Content, customProperty(markKind, strNode(q.Kind)))
		if q.Spec != "" {
			marks.Content = append(marks.Content, customProperty(markSpec, strNode(q.Spec)))
		}
		addPair(rule, "customProperties", marks)
	}
	if located {
		marks := mapGet(rule, "customProperties")
		if marks == nil {
			marks = newSeq()
			addPair(rule, "customProperties", marks)
		}
		marks.Content = append(marks.Content, customProperty(markPort, strNode(q.Port)), customProperty(markColumn, strNode(q.Column)))
	}
	return rule
}

// odcsOperators are ODCS's comparisons, in the order Plaza looks for one in a spec.
var odcsOperators = []string{"mustBe", "mustNotBe", "mustBeGreaterThan", "mustBeGreaterOrEqualTo",
	"mustBeLessThan", "mustBeLessOrEqualTo", "mustBeBetween", "mustNotBeBetween"}

// odcsRule says a Plaza rule in ODCS terms as well as ODCS can: library
// metrics for not null, unique, row counts and accepted values, a SQL
// check for SQL rules, and a text rule for the rest (ranges, freshness).
// Its spec rides along as a marker, so nothing depends on this reading.
func odcsRule(q QualityRule) *yaml.Node {
	spec := map[string]json.RawMessage{}
	_ = json.Unmarshal([]byte(q.Spec), &spec)
	number := func(key string) *yaml.Node {
		var n json.Number
		if raw, ok := spec[key]; ok && json.Unmarshal(raw, &n) == nil {
			if _, err := n.Float64(); err == nil {
				return numNode(n.String())
			}
		}
		return nil
	}
	rule := newMap()
	library := func(metric string) {
		addPair(rule, "type", strNode("library"))
		addPair(rule, "metric", strNode(metric))
	}
	switch q.Kind {
	case "not_null", "unique":
		library(map[string]string{"not_null": "nullValues", "unique": "duplicateValues"}[q.Kind])
		addPair(rule, "mustBe", numNode("0"))
		return rule
	case "row_count":
		library("rowCount")
		if min := number("min"); min != nil {
			addPair(rule, "mustBeGreaterOrEqualTo", min)
		} else {
			addPair(rule, "mustBeGreaterThan", numNode("0"))
		}
		return rule
	case "accepted_values":
		if values := jsonNode(string(spec["values"])); values != nil && values.Kind == yaml.SequenceNode {
			library("invalidValues")
			args := newMap()
			addPair(args, "validValues", values)
			addPair(rule, "arguments", args)
			addPair(rule, "mustBe", numNode("0"))
			return rule
		}
	case "sql":
		var query, expect string
		_ = json.Unmarshal(spec["query"], &query)
		_ = json.Unmarshal(spec["expect"], &expect)
		if query = strings.TrimSpace(query); query != "" {
			for _, op := range odcsOperators {
				if v := jsonNode(string(spec[op])); v != nil && v.Kind != yaml.MappingNode {
					addPair(rule, "type", strNode("sql"))
					addPair(rule, "query", strNode(query))
					addPair(rule, op, v)
					return rule
				}
			}
			if strings.EqualFold(expect, "no rows") {
				addPair(rule, "type", strNode("sql"))
				addPair(rule, "query", strNode("SELECT COUNT(*) FROM ("+query+") AS failing"))
				addPair(rule, "mustBe", numNode("0"))
				return rule
			}
		}
	}
	addPair(rule, "type", strNode("text"))
	if q.Description == "" {
		addPair(rule, "name", strNode(strings.ReplaceAll(q.Kind, "_", " ")+" "+q.Spec))
	}
	return rule
}

var percentText = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*%$`)

// exportSLA writes freshness, availability and response time, each merged
// with what was kept of the entry it came from, then the kept entries.
func exportSLA(p *Product, kept *yaml.Node) *yaml.Node {
	var left [slaSlots]*yaml.Node
	var whole []*yaml.Node
	if kept != nil && kept.Kind == yaml.SequenceNode {
		for _, e := range kept.Content {
			slot := slaSlot(scalarText(mapGet(e, "property")))
			if slot >= 0 && mapGet(e, "value") == nil && left[slot] == nil {
				left[slot] = cloneNode(e)
				continue
			}
			whole = append(whole, cloneNode(e))
		}
	}
	entry := func(slot int, property string) *yaml.Node {
		if left[slot] != nil {
			return left[slot]
		}
		m := newMap()
		addPair(m, "property", strNode(property))
		return m
	}
	out := newSeq()
	if h := p.FreshnessHours; h > 0 {
		e := entry(slaFreshness, "latency")
		if h%24 == 0 {
			mapSet(e, "value", numNode(strconv.Itoa(h/24)))
			mapSet(e, "unit", strNode("d"))
		} else {
			mapSet(e, "value", numNode(strconv.Itoa(h)))
			mapSet(e, "unit", strNode("h"))
		}
		out.Content = append(out.Content, e)
	}
	if a := strings.TrimSpace(p.Availability); a != "" {
		e := entry(slaAvailability, "availability")
		if m := percentText.FindStringSubmatch(a); m != nil {
			mapSet(e, "value", numNode(m[1]))
			mapSet(e, "unit", strNode("percent"))
		} else {
			mapSet(e, "value", strNode(a))
		}
		out.Content = append(out.Content, e)
	}
	if rt := strings.TrimSpace(p.ResponseTime); rt != "" {
		e := entry(slaResponse, "responseTime")
		mapSet(e, "value", strNode(rt))
		out.Content = append(out.Content, e)
	}
	out.Content = append(out.Content, whole...)
	return out
}

// isURL says whether a support channel is an address (https:, mailto:, ...).
func isURL(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(strings.ToLower(s), "mailto:")
}

// exportSupport writes the product's support channel, merged with the
// rest of the entry it was imported from, then the other kept channels.
func exportSupport(p *Product, kept *yaml.Node) *yaml.Node {
	out := newSeq()
	var rest []*yaml.Node
	first := newMap()
	if kept != nil && kept.Kind == yaml.SequenceNode && len(kept.Content) > 0 {
		if kept.Content[0].Kind == yaml.MappingNode {
			first = cloneNode(kept.Content[0])
		}
		rest = cloneNode(kept).Content[1:]
	}
	if sc := strings.TrimSpace(p.SupportChannel); sc != "" {
		if isURL(sc) {
			if mapGet(first, "channel") == nil {
				first.Content = append([]*yaml.Node{strNode("channel"), strNode("support")}, first.Content...)
			}
			mapSet(first, "url", strNode(sc))
		} else {
			mapSet(first, "channel", strNode(sc))
			mapDel(first, "url")
		}
		out.Content = append(out.Content, first)
	}
	out.Content = append(out.Content, rest...)
	return out
}
