package models_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// contractExamples are contracts published with the standard
// (testdata/odcs/README.md says where each comes from).
var contractExamples = []string{"full-example", "column-completeness", "column-custom", "database-table-sla", "table-column"}

func readTestdata(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func odcsExample(t testing.TB, name string) []byte {
	return readTestdata(t, "odcs", name+".odcs.yaml")
}

// forDemo rewrites a contract's domain and team to ones of the demo company
// and leaves the rest as it is. A v3.0 team list becomes the members of a
// v3.1 team object.
func forDemo(t testing.TB, text []byte, domain, team string) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	set := func(m *yaml.Node, key string, v *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				m.Content[i+1] = v
				return
			}
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	}
	get := func(m *yaml.Node, key string) *yaml.Node {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i+1]
			}
		}
		return nil
	}
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }
	set(root, "domain", str(domain))
	teamObj := &yaml.Node{Kind: yaml.MappingNode}
	set(teamObj, "name", str(team))
	switch tn := get(root, "team"); {
	case tn != nil && tn.Kind == yaml.MappingNode:
		set(tn, "name", str(team))
	case tn != nil && tn.Kind == yaml.SequenceNode:
		set(teamObj, "members", tn)
		set(root, "team", teamObj)
	default:
		set(root, "team", teamObj)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	schemaMu sync.Mutex
	schemas  = map[string]*jsonschema.Schema{}
)

// schemaOf compiles an official JSON schema from testdata, asserting formats.
func schemaOf(t testing.TB, parts ...string) *jsonschema.Schema {
	t.Helper()
	key := filepath.Join(parts...)
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := schemas[key]; ok {
		return s
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(readTestdata(t, parts...)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(key, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(key)
	if err != nil {
		t.Fatal(err)
	}
	schemas[key] = s
	return s
}

func odcsJSONSchema(t testing.TB) *jsonschema.Schema {
	return schemaOf(t, "odcs", "odcs-json-schema-v3.1.0.json")
}

func odpsJSONSchema(t testing.TB) *jsonschema.Schema {
	return schemaOf(t, "odps", "odps-json-schema-v1.0.0.json")
}

// validateYAML checks YAML against a JSON schema, the way the standards' own
// tooling does: YAML read as JSON.
func validateYAML(t testing.TB, sch *jsonschema.Schema, text []byte) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(text, &v); err != nil {
		return err
	}
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// anotherDB opens another fresh database of db's kind.
func anotherDB(t *testing.T, db *gorm.DB) *gorm.DB {
	if dbtest.Name(db) == "postgres" {
		return dbtest.Postgres(t)
	}
	return dbtest.SQLite(t)
}

// storeInput is what Store.InputOf says of p, the input that would write it.
func storeInput(t *testing.T, s *models.Store, p *models.Product) models.ProductInput {
	t.Helper()
	in, err := s.InputOf(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// sameProductInput compares two products' inputs field by field, naming the first difference.
func sameProductInput(t *testing.T, what string, a, b models.ProductInput) {
	t.Helper()
	if reflect.DeepEqual(a, b) {
		return
	}
	ja, _ := json.MarshalIndent(a, "", " ")
	jb, _ := json.MarshalIndent(b, "", " ")
	if a.ContractExtra != b.ContractExtra {
		t.Errorf("%s: contract extras differ:\n--- first\n%s\n--- second\n%s", what, a.ContractExtra, b.ContractExtra)
	}
	if !bytes.Equal(ja, jb) {
		t.Errorf("%s: products differ:\n--- first\n%s\n--- second\n%s", what, ja, jb)
	}
}

func TestContractExamplesAreValid(t *testing.T) {
	for _, name := range contractExamples {
		if err := validateYAML(t, odcsJSONSchema(t), odcsExample(t, name)); err != nil {
			t.Errorf("%s does not validate against the ODCS schema: %v", name, err)
		}
	}
	if err := validateYAML(t, odpsJSONSchema(t), readTestdata(t, "odps", "customer-data-product.odps.yaml")); err != nil {
		t.Errorf("the ODPS example does not validate against the ODPS schema: %v", err)
	}
}

func TestContractRoundTrip(t *testing.T) {
	for _, name := range contractExamples {
		t.Run(name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
				ctx := context.Background()
				s, _, owner := seeded(t, db)
				text := forDemo(t, odcsExample(t, name), "sales", "order-management")
				p1, rep, err := s.ImportContract(ctx, owner, text)
				if err != nil {
					t.Fatalf("import: %v", err)
				}
				if !rep.Created || p1.Status != models.StatusDraft || p1.Team.Slug != "order-management" {
					t.Errorf("created %v, status %s, team %s; want a new draft of order-management", rep.Created, p1.Status, p1.Team.Slug)
				}
				out, err := models.ExportContract(p1)
				if err != nil {
					t.Fatalf("export: %v", err)
				}
				if err := validateYAML(t, odcsJSONSchema(t), out); err != nil {
					t.Fatalf("export does not validate against ODCS v3.1.0: %v\n%s", err, out)
				}

				// Into a fresh store: the same product, extras and all.
				s2, _, owner2 := seeded(t, anotherDB(t, db))
				p2, rep2, err := s2.ImportContract(ctx, owner2, out)
				if err != nil {
					t.Fatalf("import of the export: %v\n%s", err, out)
				}
				sameProductInput(t, "import, export, import", storeInput(t, s, p1), storeInput(t, s2, p2))
				if len(rep.Kept) != len(rep2.Kept) {
					t.Errorf("kept %v, then %v", rep.Kept, rep2.Kept)
				}
				out2, err := models.ExportContract(p2)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out, out2) {
					t.Errorf("second export differs from the first:\n--- first\n%s\n--- second\n%s", out, out2)
				}

				// Into the same store: an update that changes nothing.
				p3, rep3, err := s.ImportContract(ctx, owner, out)
				if err != nil {
					t.Fatalf("re-import: %v", err)
				}
				if rep3.Created || p3.ID != p1.ID {
					t.Errorf("re-import created a product (id %d, first %d)", p3.ID, p1.ID)
				}
				sameProductInput(t, "update with its own export", storeInput(t, s, p1), storeInput(t, s, p3))
			})
		})
	}
}

func TestContractFullExample(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		p, rep, err := s.ImportContract(ctx, owner, forDemo(t, odcsExample(t, "full-example"), "sales", "order-management"))
		if err != nil {
			t.Fatal(err)
		}
		if p.Slug != "my-quantum" || p.Name != "my quantum" || p.Version != "1.1.0" || p.Domain.Slug != "sales" {
			t.Errorf("product %s/%s %q %s", p.Domain.Slug, p.Slug, p.Name, p.Version)
		}
		if rep.ID != "53581432-6c55-4ba2-a65f-72344a91553a" || rep.Status != "active" || rep.PlazaStatus != models.StatusPublished || rep.APIVersion != "v3.1.0" {
			t.Errorf("report %+v", rep)
		}
		if p.Summary != "Views built on top of the seller tables." || p.Description != "Predict sales over time" ||
			p.TermsOfUse != "Data based on seller perspective, no buyer information" {
			t.Errorf("summary %q, description %q, terms %q", p.Summary, p.Description, p.TermsOfUse)
		}
		if got := p.TagNames(); !slices.Equal(got, []string{"transactions"}) {
			t.Errorf("tags %v", got)
		}
		if p.FreshnessHours != 96 || p.SupportChannel != "https://aidaug.slack.com/archives/C05UZRSBKLY" {
			t.Errorf("freshness %d h, support %q", p.FreshnessHours, p.SupportChannel)
		}
		if p.Classification != models.ClassRestricted {
			t.Errorf("classification %s, want restricted (the most closed of its properties)", p.Classification)
		}
		if len(p.OutputPorts) != 2 || p.OutputPorts[0].Slug != "tbl" || p.OutputPorts[0].Format != "table" ||
			len(p.OutputPorts[0].Columns) != 3 || p.OutputPorts[1].Slug != "receivers" || len(p.OutputPorts[1].Columns) != 4 {
			t.Fatalf("ports %+v", p.OutputPorts)
		}
		rcvr := p.OutputPorts[0].Columns[1]
		if rcvr.Name != "rcvr_id" || rcvr.Type != "string" || !rcvr.PrimaryKey || !rcvr.Nullable || rcvr.Description != "A description for column rcvr_id." {
			t.Errorf("rcvr_id %+v", rcvr)
		}
		if id := p.OutputPorts[1].Columns[0]; id.Name != "id" || id.Nullable || !id.PrimaryKey {
			t.Errorf("receivers.id %+v, want required primary key", id)
		}
		if len(p.Quality) != 2 {
			t.Fatalf("quality %+v", p.Quality)
		}
		rows, nulls := p.Quality[0], p.Quality[1]
		if rows.Kind != "row_count" || rows.Port != "tbl" || rows.Column != "" || !rows.Blocking || !strings.Contains(rows.Spec, `"mustBeGreaterThan":1000000`) {
			t.Errorf("row count rule %+v", rows)
		}
		if nulls.Kind != "not_null" || nulls.Column != "rcvr_cntry_code" || nulls.Description != "column should not contain null values" {
			t.Errorf("not null rule %+v", nulls)
		}
		for _, path := range []string{"tenant", "servers", "price", "roles", "slaDefaultElement", "contractCreatedTs",
			"description.authoritativeDefinitions", "schema[0].physicalName", "schema[0].relationships",
			"schema[0].properties[0].examples", "schema[0].properties[0].customProperties[0]",
			"schema[0].properties[2].authoritativeDefinitions[0]", "slaProperties[0].element", "slaProperties[1]",
			"support[0].channel", "support[1]", "team.members", "customProperties[2]"} {
			if !slices.Contains(rep.Kept, path) {
				t.Errorf("kept %v, want %s among them", rep.Kept, path)
			}
		}
		for _, s := range []string{"pypl-edw", "mandolorian", "priceAmount: 9.95", "txn_ref_dt"} {
			if !strings.Contains(p.ContractExtra, s) {
				t.Errorf("contract extras lack %q:\n%s", s, p.ContractExtra)
			}
		}
		out, err := models.ExportContract(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"id: 53581432-6c55-4ba2-a65f-72344a91553a", "apiVersion: v3.1.0", "status: draft",
			"dataProduct: my-quantum", "property: latency\n    element: tab1.txn_ref_dt\n    value: 4\n    unit: d",
			"name: order-management", "username: ceastwood", "value: restricted"} {
			if !strings.Contains(string(out), s) {
				t.Errorf("export lacks %q:\n%s", s, out)
			}
		}
	})
}

// A small contract whose line numbers the error tests rely on.
const ordersContract = `apiVersion: v3.1.0
kind: DataContract
id: orders-contract
version: 1.0.0
status: active
domain: sales
dataProduct: pos-orders
team: {name: order-management}
schema:
  - name: orders
    properties:
      - {name: order_id, logicalType: string, required: true}
      - {name: amount, logicalType: number, physicalType: "decimal(12,2)"}
      - {name: placed_at, logicalType: timestamp}
`

func TestContractImportErrors(t *testing.T) {
	bomb := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	for c := 'b'; c <= 'j'; c++ {
		prev := string(c - 1)
		bomb += fmt.Sprintf("%c: &%c [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", c, c, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	huge := []byte(ordersContract + "# " + strings.Repeat("x", models.MaxContractSize) + "\n")
	cases := []struct {
		name string
		text string
		as   string // "" for the Sales owner, or a demo email
		want []string
		err  error
	}{
		{name: "malformed YAML", text: "apiVersion: v3.1.0\nkind: DataContract\nschema:\n  - name: [orders\n    properties: x\n",
			want: []string{"line 4: did not find expected ',' or ']'"}},
		{name: "unknown logical type", text: strings.Replace(ordersContract, "logicalType: timestamp", "logicalType: strnig", 1),
			want: []string{`line 14: schema[0].properties[2].logicalType: unknown type "strnig"`}},
		{name: "unknown domain", text: strings.Replace(ordersContract, "domain: sales", "domain: seller", 1),
			want: []string{`line 6: domain: Plaza has no domain "seller"; use one of: customer, finance, marketing, sales, supply-chain`}},
		{name: "unknown team", text: strings.Replace(ordersContract, "{name: order-management}", "{name: data-platform}", 1),
			want: []string{`line 8: team.name: the sales domain has no team "data-platform"; its teams: order-management, sales-analytics`}},
		{name: "no team to own it", text: strings.Replace(ordersContract, "team: {name: order-management}\n", "", 1),
			want: []string{"line 1: team: name the team that owns the product"}},
		{name: "duplicate column names", text: strings.Replace(ordersContract, "name: placed_at", "name: order_id", 1),
			want: []string{`line 14: schema[0].properties[2].name: Two columns are named "order_id".`}},
		{name: "bad column name", text: strings.Replace(ordersContract, "name: amount", "name: total amount", 1),
			want: []string{"line 13: schema[0].properties[1].name: Use letters, digits and underscores"}},
		{name: "schema violation", text: strings.Replace(ordersContract, "id: orders-contract\n", "", 1),
			want: []string{"line 1: missing property 'id'"}},
		{name: "not ODCS v3", text: strings.Replace(ordersContract, "v3.1.0", "v2.2.2", 1),
			want: []string{`line 1: apiVersion: Plaza reads ODCS v3 contracts (v3.0.x, v3.1.0); this one is "v2.2.2"`}},
		{name: "duplicate key", text: ordersContract + "domain: finance\n",
			want: []string{`line 15: key "domain" appears twice (first on line 6)`}},
		{name: "latency without unit", text: ordersContract + "slaProperties:\n  - {property: latency, value: 4}\n",
			want: []string{"line 16: slaProperties[0].unit: give the latency's unit"}},
		{name: "not a mapping", text: "- apiVersion: v3.1.0\n", want: []string{"line 1: an ODCS contract is a YAML mapping"}},
		{name: "empty", text: "", want: []string{"the contract is empty"}},
		{name: "too large", text: string(huge), want: []string{"at most 1 MiB"}},
		{name: "YAML bomb", text: ordersContract + bomb, want: []string{"once its aliases are expanded"}},
		{name: "alias loop", text: ordersContract + "x: &x\n  y: *x\n", want: []string{"line"}},
		{name: "NUL in text", text: strings.Replace(ordersContract, "dataProduct: pos-orders", `dataProduct: "pos\0orders"`, 1),
			want: []string{"line 7: text with a NUL character"}},
		{name: "member may not create", text: ordersContract, as: "hannah.weber@northwind.example", err: models.ErrForbidden},
		{name: "nobody signed in", text: ordersContract, as: "-", err: models.ErrUnauthenticated},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		var before int64
		db.Model(&models.Product{}).Count(&before)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				actor := owner
				switch tc.as {
				case "":
				case "-":
					actor = nil
				default:
					u, err := s.UserByEmail(ctx, tc.as)
					if err != nil {
						t.Fatal(err)
					}
					actor = u
				}
				p, rep, err := s.ImportContract(ctx, actor, []byte(tc.text))
				if err == nil {
					t.Fatalf("imported %s (%+v), want an error", p.Slug, rep)
				}
				if tc.err != nil {
					if !errors.Is(err, tc.err) {
						t.Fatalf("error %v, want %v", err, tc.err)
					}
					return
				}
				var ve *models.ValidationError
				if !errors.As(err, &ve) || ve.Fields["contract"] == "" {
					t.Fatalf("error %v, want a validation error on the contract", err)
				}
				for _, w := range tc.want {
					if !strings.Contains(ve.Fields["contract"], w) {
						t.Errorf("message\n%s\nlacks %q", ve.Fields["contract"], w)
					}
				}
			})
		}
		var n int64
		db.Model(&models.Product{}).Count(&n)
		if n != before {
			t.Errorf("%d products written by failed imports", n-before)
		}
	})
}

// TestContractAliasBomb: nine levels of nine aliases would be 387 million
// strings; the import refuses it after a bounded amount of work.
func TestContractAliasBomb(t *testing.T) {
	bomb := ordersContract + "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	for c := 'b'; c <= 'j'; c++ {
		bomb += fmt.Sprintf("%c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+string(c-1)+",", 9), ","))
	}
	s, _, owner := seeded(t, dbtest.SQLite(t))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := s.ImportContract(context.Background(), owner, []byte(bomb))
	runtime.ReadMemStats(&after)
	var ve *models.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Fields["contract"], "once its aliases are expanded") {
		t.Fatalf("error %v, want the aliases refused", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 256<<20 {
		t.Errorf("refusing the bomb allocated %d MiB", alloc>>20)
	}
	t.Logf("refusing the bomb allocated %d MiB", alloc>>20)
}

func TestContractTextStaysText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		script := `<script>alert("owned")</script> & <b>bold</b>`
		text := strings.Replace(ordersContract, "team:", "description:\n  purpose: '"+script+"'\n  usage: |\n    Line one <img src=x onerror=alert(1)>\n    Line two\nteam:", 1)
		p, _, err := s.ImportContract(ctx, owner, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if p.Summary != script || p.Description != "Line one <img src=x onerror=alert(1)>\nLine two" {
			t.Errorf("summary %q, description %q: want the text exactly as written", p.Summary, p.Description)
		}
		out, err := models.ExportContract(p)
		if err != nil {
			t.Fatal(err)
		}
		s2, _, owner2 := seeded(t, anotherDB(t, db))
		p2, _, err := s2.ImportContract(ctx, owner2, out)
		if err != nil {
			t.Fatal(err)
		}
		if p2.Summary != script || p2.Description != p.Description {
			t.Errorf("after the round trip: summary %q, description %q", p2.Summary, p2.Description)
		}
	})
}

func TestContractSLAAndLongPurpose(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		purpose := strings.Repeat("Every order placed in a store or online, with its lines and totals. ", 8)
		text := ordersContract + `description:
  purpose: "` + purpose + `"
slaProperties:
  - {property: latency, value: PT90M, description: from the till to the lake}
  - {property: availability, value: 99.9, unit: "%"}
  - {property: responseTime, value: 4, unit: h}
  - {property: retention, value: 3, unit: y}
support:
  - {channel: "#pos-data", tool: slack}
  - {channel: "Email", url: "mailto:pos@northwind.example"}
`
		p, rep, err := s.ImportContract(ctx, owner, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if p.FreshnessHours != 2 || p.Availability != "99.9%" || p.ResponseTime != "4 h" || p.SupportChannel != "#pos-data" {
			t.Errorf("freshness %d, availability %q, response %q, support %q", p.FreshnessHours, p.Availability, p.ResponseTime, p.SupportChannel)
		}
		if n := len([]rune(p.Summary)); n > 300 || !strings.HasSuffix(p.Summary, "…") || !strings.HasPrefix(purpose, strings.TrimSuffix(p.Summary, "…")) {
			t.Errorf("summary of %d characters: %q", n, p.Summary)
		}
		for _, want := range []string{"slaProperties[0].description", "slaProperties[3]", "support[0].tool", "support[1]"} {
			if !slices.Contains(rep.Kept, want) {
				t.Errorf("kept %v, want %s", rep.Kept, want)
			}
		}
		if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "rounded up to 2 hours") }) {
			t.Errorf("notes %v, want the rounding of PT90M noted", rep.Notes)
		}
		out, err := models.ExportContract(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateYAML(t, odcsJSONSchema(t), out); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(string(out), strings.TrimSpace(purpose)) {
			t.Errorf("export lost the full purpose:\n%s", out)
		}
		s2, _, owner2 := seeded(t, anotherDB(t, db))
		p2, _, err := s2.ImportContract(ctx, owner2, out)
		if err != nil {
			t.Fatal(err)
		}
		sameProductInput(t, "round trip", storeInput(t, s, p), storeInput(t, s2, p2))
	})
}

// plazaOrders is a product described in Plaza, with what ODCS has no word for.
func plazaOrders(t *testing.T, s *models.Store, owner *models.User) *models.Product {
	t.Helper()
	ctx := context.Background()
	if _, err := s.TermBySlug(ctx, "sales", "order"); errors.Is(err, models.ErrNotFound) {
		if _, err := s.CreateTerm(ctx, owner, "sales", models.TermInput{Slug: "order", Name: "Order", Definition: "A customer's purchase."}); err != nil {
			t.Fatal(err)
		}
	}
	in := models.ProductInput{
		Slug: "web-orders", Name: "Customer orders", Team: "order-management", Summary: "Every order, one row each.",
		Description: "Orders from stores and the web shop.\n\nRefreshed hourly.", Classification: models.ClassConfidential,
		Version: "2.1.0", TermsOfUse: "Internal use only.", Tags: []string{"orders", "core"},
		FreshnessHours: 6, Availability: "99.5%", SupportChannel: "#sales-data", ResponseTime: "1 business day",
		OutputPorts: []models.PortInput{
			{Slug: "daily", Name: "Daily orders", Format: "parquet", Description: "One file a day.", Columns: []models.ColumnInput{
				{Name: "order_id", Type: "string", PrimaryKey: true, Term: "sales/order", Description: "The order."},
				{Name: "email", Type: "string", Nullable: true, PII: true},
				{Name: "amount", Type: "decimal"},
				{Name: "placed_at", Type: "timestamp"},
				{Name: "flags", Type: "varchar(8)", Nullable: true},
			}},
			{Slug: "events", Name: "events", Format: "stream", Columns: []models.ColumnInput{{Name: "event_id", Type: "integer"}}},
		},
		Quality: []models.QualityRuleInput{
			{Port: "daily", Column: "order_id", Kind: "unique", Description: "One row per order.", Blocking: true},
			{Port: "daily", Column: "amount", Kind: "range", Spec: `{"min":0,"max":100000}`, Description: "Amounts are sane."},
			{Port: "daily", Column: "order_id", Kind: "not_null", Blocking: true},
			{Port: "daily", Kind: "row_count", Spec: `{"min": 1}`},
			{Port: "daily", Kind: "sql", Spec: `{"query":"SELECT COUNT(*) FROM daily WHERE amount < 0","mustBe":0}`, Description: "No negative amounts."},
			{Kind: "freshness", Spec: `{"hours":6}`, Description: "Fresh within six hours."},
			{Port: "gone", Column: "x", Kind: "accepted_values", Spec: `{"values":["a","b"]}`},
		},
	}
	p, err := s.CreateProduct(ctx, owner, "sales", in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestContractPlazaProductRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		p1 := plazaOrders(t, s, owner)
		out, err := models.ExportContract(p1)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateYAML(t, odcsJSONSchema(t), out); err != nil {
			t.Fatalf("export does not validate against ODCS v3.1.0: %v\n%s", err, out)
		}
		for _, want := range []string{"id: urn:plaza:sales:web-orders", "name: Customer orders", "dataProduct: web-orders",
			"classification: pii", "url: /glossary/sales/order", "physicalType: topic", "value: 6\n    unit: h",
			"value: 99.5\n    unit: percent", "channel: '#sales-data'", "value: confidential"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("export lacks %q:\n%s", want, out)
			}
		}
		s2, _, owner2 := seeded(t, anotherDB(t, db))
		plazaOrders(t, s2, owner2) // the glossary term, and a product to update
		p2, rep, err := s2.ImportContract(ctx, owner2, out)
		if err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		if rep.Created {
			t.Error("the import created a product; want the existing one updated")
		}
		a, b := plazaSide(storeInput(t, s, p1)), plazaSide(storeInput(t, s2, p2))
		// A type outside ODCS's logical types goes out as the physical type
		// beside its logical type, and comes back as the logical type.
		if got := b.OutputPorts[0].Columns[4].Type; got != "string" {
			t.Errorf("flags came back as %q, want string (varchar(8) as a logical type)", got)
		}
		a.OutputPorts[0].Columns[4].Type = "string"
		sameProductInput(t, "Plaza product, exported and imported", a, b)

		// From then on the trip changes nothing at all.
		out2, err := models.ExportContract(p2)
		if err != nil {
			t.Fatal(err)
		}
		p3, _, err := s2.ImportContract(ctx, owner2, out2)
		if err != nil {
			t.Fatal(err)
		}
		sameProductInput(t, "second trip", storeInput(t, s2, p2), storeInput(t, s2, p3))
	})
}

func TestContractUpdateKeepsWhatODCSCannotSay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		_, err := s.CreateProduct(ctx, owner, "sales", models.ProductInput{Slug: "pos-raw", Name: "Raw orders",
			Team: "order-management", Classification: models.ClassInternal,
			OutputPorts: []models.PortInput{{Slug: "all", Format: "csv", Columns: []models.ColumnInput{{Name: "id", Type: "string"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		in := models.ProductInput{Slug: "pos-orders", Name: "Orders", Team: "sales-analytics", Classification: models.ClassConfidential,
			InputPorts: []models.InputPortInput{{Upstream: "sales/pos-raw/all"}, {Landing: "pos/*.csv"}}}
		if _, err := s.CreateProduct(ctx, owner, "sales", in); err != nil {
			t.Fatal(err)
		}
		// A contract without team or classification: the product keeps its own.
		text := strings.Replace(ordersContract, "team: {name: order-management}\n", "", 1)
		p, rep, err := s.ImportContract(ctx, owner, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		got := storeInput(t, s, p)
		if rep.Created || got.Team != "sales-analytics" || got.Classification != models.ClassConfidential {
			t.Errorf("created %v, team %s, classification %s", rep.Created, got.Team, got.Classification)
		}
		if len(got.InputPorts) != 2 || got.InputPorts[0].Upstream != "sales/pos-raw/all" || got.InputPorts[1].Landing != "pos/*.csv" {
			t.Errorf("input ports after the import: %+v", got.InputPorts)
		}
		if len(got.OutputPorts) != 1 || len(got.OutputPorts[0].Columns) != 3 || got.OutputPorts[0].Columns[1].Type != "decimal" {
			t.Errorf("output ports: %+v", got.OutputPorts)
		}
	})
}

func TestContractTeams(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, admin, _ := seeded(t, db)
		// v3.0 list: Sofia owns both Sales teams, so it does not say which.
		list := strings.Replace(ordersContract, "team: {name: order-management}", "team:\n  - username: sofia.rossi@northwind.example\n    role: owner", 1)
		_, _, err := s.ImportContract(ctx, admin, []byte(list))
		var ve *models.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Fields["contract"], "line 8: team: name the team that owns the product") {
			t.Fatalf("error %v, want the team asked for", err)
		}
		// The team's display name works as well as its slug.
		named := strings.Replace(ordersContract, "{name: order-management}", "{name: Sales Analytics}", 1)
		p, _, err := s.ImportContract(ctx, admin, []byte(named))
		if err != nil || p.Team.Slug != "sales-analytics" {
			t.Fatalf("team %v, %v", p, err)
		}
		// Once the product exists, a v3.0 list keeps its team and its members are kept.
		p, rep, err := s.ImportContract(ctx, admin, []byte(list))
		if err != nil || p.Team.Slug != "sales-analytics" || rep.Created {
			t.Fatalf("update with a member list: %v, %v", p, err)
		}
		if !strings.Contains(p.ContractExtra, "sofia.rossi@northwind.example") {
			t.Errorf("members not kept:\n%s", p.ContractExtra)
		}
	})
}

func TestContractTermsAndPII(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		if _, err := s.TermBySlug(ctx, "sales", "order"); err != nil {
			t.Fatalf("the demo glossary's term sales/order: %v", err)
		}
		text := strings.Replace(ordersContract, "      - {name: placed_at, logicalType: timestamp}\n", `      - name: placed_at
        logicalType: timestamp
        authoritativeDefinitions:
          - {type: businessDefinition, url: "https://plaza.example/glossary/sales/order"}
          - {type: businessDefinition, url: "https://wiki.example/orders"}
      - {name: email, logicalType: string, classification: sensitive}
      - name: phone
        logicalType: string
        classification: confidential
        customProperties: [{property: pii, value: true}, {property: owner, value: crm}]
      - name: customer
        logicalType: string
        customProperties: [{property: term, value: nowhere/customer}]
`, 1)
		_, _, err := s.ImportContract(ctx, owner, []byte(text))
		var ve *models.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Fields["contract"], `schema[0].properties[5].customProperties[0]: No glossary term "nowhere/customer".`) {
			t.Fatalf("error %v, want the unknown term named with its line", err)
		}
		text = strings.Replace(text, "nowhere/customer", "order", 1)
		p, _, err := s.ImportContract(ctx, owner, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		cols := p.OutputPorts[0].Columns
		if cols[2].Term == nil || cols[2].Term.Ref() != "sales/order" || cols[5].Term == nil || cols[5].Term.Ref() != "sales/order" {
			t.Errorf("terms: %v, %v", cols[2].Term, cols[5].Term)
		}
		if !cols[3].PII || !cols[4].PII || cols[2].PII {
			t.Errorf("pii: email %v, phone %v, placed_at %v", cols[3].PII, cols[4].PII, cols[2].PII)
		}
		if p.Classification != models.ClassConfidential {
			t.Errorf("classification %s, want confidential from phone", p.Classification)
		}
		out, err := models.ExportContract(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateYAML(t, odcsJSONSchema(t), out); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, want := range []string{"https://wiki.example/orders", "classification: confidential\n        customProperties:\n          - property: pii\n            value: true\n"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("export lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestContractDemoCatalog exports every product of the demo company: each
// contract is valid ODCS and reads back as the same product.
func TestContractDemoCatalog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, _ := seeded(t, db)
		s2, admin2, _ := seeded(t, anotherDB(t, db))
		var products []models.Product
		if err := db.Order("id").Find(&products).Error; err != nil {
			t.Fatal(err)
		}
		if len(products) == 0 {
			t.Skip("the demo has no products")
		}
		for _, row := range products {
			p, err := s.ProductByID(ctx, row.ID)
			if err != nil {
				t.Fatal(err)
			}
			out, err := models.ExportContract(p)
			if err != nil {
				t.Fatalf("%s: %v", p.Slug, err)
			}
			if err := validateYAML(t, odcsJSONSchema(t), out); err != nil {
				t.Errorf("%s/%s: export does not validate: %v\n%s", p.Domain.Slug, p.Slug, err, out)
				continue
			}
			if err := validateYAML(t, odpsJSONSchema(t), mustODPS(t, p)); err != nil {
				t.Errorf("%s/%s: descriptor does not validate: %v", p.Domain.Slug, p.Slug, err)
			}
			// The second store holds the same demo: the import updates its copy.
			p2, rep, err := s2.ImportContract(ctx, admin2, out)
			if err != nil {
				t.Errorf("%s/%s: import of its export: %v\n%s", p.Domain.Slug, p.Slug, err, out)
				continue
			}
			if rep.Created {
				t.Errorf("%s/%s: import created a product", p.Domain.Slug, p.Slug)
			}
			sameProductInput(t, p.Domain.Slug+"/"+p.Slug, plazaSide(storeInput(t, s, p)), plazaSide(storeInput(t, s2, p2)))
		}
	})
}

// plazaSide is a product's input without what the first trip through a
// contract may change for a product described in Plaza: the physical types
// it writes are kept from then on, and its quality rules come back in the
// contract's order (by port: the port's rules, then each column's).
func plazaSide(in models.ProductInput) models.ProductInput {
	in.ContractExtra = ""
	in.Quality = slices.Clone(in.Quality)
	slices.SortStableFunc(in.Quality, func(a, b models.QualityRuleInput) int {
		return strings.Compare(a.Port+"\x00"+a.Column+"\x00"+a.Kind+"\x00"+a.Spec, b.Port+"\x00"+b.Column+"\x00"+b.Kind+"\x00"+b.Spec)
	})
	return in
}

func mustODPS(t *testing.T, p *models.Product) []byte {
	t.Helper()
	out, err := models.ExportODPS(p, "https://plaza.example")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestODPSExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s, _, owner := seeded(t, db)
		if _, err := s.CreateProduct(ctx, owner, "sales", models.ProductInput{Slug: "pos-raw", Name: "Raw orders",
			Team: "order-management", Classification: models.ClassInternal, Version: "1.4.0"}); err != nil {
			t.Fatal(err)
		}
		p := plazaOrders(t, s, owner)
		in := storeInput(t, s, p)
		in.InputPorts = []models.InputPortInput{{Upstream: "sales/pos-raw/all"}, {Landing: "pos/*.csv"}}
		p, err := s.UpdateProduct(ctx, owner, p, in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.ProductDescriptor(ctx, p, "https://plaza.example/")
		if err != nil {
			t.Fatal(err)
		}
		if err := validateYAML(t, odpsJSONSchema(t), out); err != nil {
			t.Fatalf("descriptor does not validate against ODPS v1.0.0: %v\n%s", err, out)
		}
		var d struct {
			ID          string
			Status      string
			InputPorts  []struct{ Name, Version, ContractID string } `yaml:"inputPorts"`
			OutputPorts []struct {
				Name, Type, Version string
				ContractID          string `yaml:"contractId"`
			} `yaml:"outputPorts"`
			Team    []struct{ Username, Role string }
			Support []struct{ Channel, URL string }
		}
		if err := yaml.Unmarshal(out, &d); err != nil {
			t.Fatal(err)
		}
		if d.ID != "urn:plaza:sales:web-orders" || d.Status != "draft" {
			t.Errorf("id %s, status %s", d.ID, d.Status)
		}
		if len(d.OutputPorts) != 2 || d.OutputPorts[0].Name != "daily" || d.OutputPorts[0].Version != "2.1.0" ||
			d.OutputPorts[0].ContractID != "https://plaza.example/api/v1/products/sales/web-orders/contract" {
			t.Errorf("output ports %+v", d.OutputPorts)
		}
		if len(d.InputPorts) != 1 || d.InputPorts[0].Name != "sales/pos-raw/all" || d.InputPorts[0].Version != "1.4.0" {
			t.Errorf("input ports %+v", d.InputPorts)
		}
		if len(d.Team) != 1 || d.Team[0].Username != "sofia.rossi@northwind.example" {
			t.Errorf("team %+v", d.Team)
		}
		if len(d.Support) != 1 || d.Support[0].Channel != "#sales-data" || d.Support[0].URL != "https://plaza.example/products/sales/web-orders" {
			t.Errorf("support %+v", d.Support)
		}
		for _, want := range []string{"- landing/sales/pos/*.csv", "value: confidential", "content: discoverability"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("descriptor lacks %q:\n%s", want, out)
			}
		}
		// Without the database, and without an absolute base URL, it is still valid ODPS.
		for _, base := range []string{"https://plaza.example", ""} {
			out, err := models.ExportODPS(p, base)
			if err != nil {
				t.Fatal(err)
			}
			if err := validateYAML(t, odpsJSONSchema(t), out); err != nil {
				t.Errorf("ExportODPS(%q) does not validate: %v\n%s", base, err, out)
			}
		}
		// An imported contract's support channels come along.
		imported, _, err := s.ImportContract(ctx, owner, forDemo(t, odcsExample(t, "full-example"), "sales", "order-management"))
		if err != nil {
			t.Fatal(err)
		}
		out, err = models.ExportODPS(imported, "https://plaza.example")
		if err != nil {
			t.Fatal(err)
		}
		if err := validateYAML(t, odpsJSONSchema(t), out); err != nil {
			t.Errorf("descriptor of the full example does not validate: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "url: mailto:datacontract-ann@bitol.io") {
			t.Errorf("support channels of the contract missing:\n%s", out)
		}
	})
}

// FuzzImportContract feeds contracts to the import: it must never panic,
// refuse only with validation errors, and whatever it accepts must export
// as valid ODCS v3.1.0.
func FuzzImportContract(f *testing.F) {
	for _, name := range contractExamples {
		text := odcsExample(f, name)
		f.Add(text)
		f.Add(forDemo(f, text, "sales", "order-management"))
	}
	f.Add([]byte(ordersContract))
	f.Add([]byte(ordersContract + "slaProperties:\n  - {property: latency, value: PT90M}\n  - {property: availability, value: 99.9, unit: '%'}\nsupport:\n  - {channel: help, url: 'mailto:help@example.com'}\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a]\n"))
	f.Add([]byte("apiVersion: v3.1.0\nkind: DataContract\n<<: {id: x}\n"))
	f.Add([]byte("- [[[[[[[[]]]]]]]]\n"))
	f.Add([]byte(""))

	db := dbtest.SQLite(f)
	s := models.NewStore(db)
	ctx := context.Background()
	if err := s.SeedDemo(ctx); err != nil {
		f.Fatal(err)
	}
	admin, err := s.UserByEmail(ctx, "alex.morgan@northwind.example")
	if err != nil {
		f.Fatal(err)
	}
	sch := odcsJSONSchema(f)
	f.Fuzz(func(t *testing.T, text []byte) {
		p, rep, err := s.ImportContract(ctx, admin, text)
		if err != nil {
			var ve *models.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("import failed with %v, want a validation error", err)
			}
			return
		}
		if p == nil || rep == nil {
			t.Fatal("no product and no error")
		}
		out, err := models.ExportContract(p)
		if err != nil {
			t.Fatalf("export of an imported contract: %v", err)
		}
		if err := validateYAML(t, sch, out); err != nil {
			t.Fatalf("export does not validate: %v\n%s", err, out)
		}
	})
}
