package handlers

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiOp documents one /api/v1 operation. The OpenAPI document is built from
// this table; a test checks that every API route has an entry.
type apiOp struct {
	method, path, tag, summary string
	query                      []string // query parameter names
	body                       string   // request schema name, or "" for none; "yaml" for a YAML document
	status                     int      // success status
	response                   string   // response schema name, or "yaml"
}

var apiOps = []apiOp{
	{"GET", "/me", "people", "The caller, their roles and teams", nil, "", 200, "Me"},
	{"GET", "/domains", "domains", "List domains", []string{"archived"}, "", 200, "DomainList"},
	{"POST", "/domains", "domains", "Create a domain (admins)", nil, "DomainInput", 201, "Domain"},
	{"GET", "/domains/{domain}", "domains", "Get a domain", nil, "", 200, "Domain"},
	{"PATCH", "/domains/{domain}", "domains", "Change some of a domain's fields, or archive it (admins)", nil, "DomainPatch", 200, "Domain"},
	{"DELETE", "/domains/{domain}", "domains", "Delete an empty domain, or archive one still in use (admins)", nil, "", 200, "Removal"},
	{"GET", "/domains/{domain}/teams", "teams", "List a domain's teams", []string{"archived"}, "", 200, "TeamList"},
	{"POST", "/domains/{domain}/teams", "teams", "Create a team (admins)", nil, "TeamInput", 201, "Team"},
	{"GET", "/domains/{domain}/teams/{team}", "teams", "Get a team", nil, "", 200, "Team"},
	{"PATCH", "/domains/{domain}/teams/{team}", "teams", "Change a team (admins and its owners)", nil, "TeamPatch", 200, "Team"},
	{"DELETE", "/domains/{domain}/teams/{team}", "teams", "Archive a team (admins)", nil, "", 200, "Team"},
	{"GET", "/domains/{domain}/teams/{team}/members", "teams", "List a team's people", nil, "", 200, "MemberList"},
	{"PUT", "/domains/{domain}/teams/{team}/members/{email}", "teams", "Add a person or set their role (admins and the team's owners)", nil, "MemberRole", 200, "Member"},
	{"DELETE", "/domains/{domain}/teams/{team}/members/{email}", "teams", "Remove a person from a team", nil, "", 204, ""},
	{"GET", "/audit", "audit", "Page through the audit log (admins)", []string{"actor", "action", "type", "object", "since", "until", "page", "per_page"}, "", 200, "AuditPage"},
	{"GET", "/products", "products", "Search the catalog: the marketplace's parameters, hits, facets with counts, paging", []string{"q", "domain", "team", "class", "tag", "status", "sort", "page", "per_page"}, "", 200, "SearchResult"},
	{"POST", "/products/{domain}", "products", "Create a draft data product in a domain (the owning team's owners and admins)", nil, "ProductInput", 201, "Product"},
	{"GET", "/products/{domain}/{product}", "products", "Get a data product with its ports and schema", nil, "", 200, "Product"},
	{"PUT", "/products/{domain}/{product}", "products", "Replace a product's description and schema (owners)", nil, "ProductInput", 200, "Product"},
	{"GET", "/products/{domain}/{product}/contract", "contracts", "The product's Open Data Contract (ODCS v3.1.0) as YAML", nil, "", 200, "yaml"},
	{"GET", "/products/{domain}/{product}/odps", "contracts", "The product's Open Data Product Standard (ODPS v1.0.0) descriptor as YAML", nil, "", 200, "yaml"},
	{"POST", "/contracts", "contracts", "Create (201) or update (200) a product from an ODCS v3 contract in YAML", nil, "yaml", 200, "ContractImport"},
	{"GET", "/glossary", "glossary", "List business terms", []string{"domain"}, "", 200, "TermList"},
	{"POST", "/glossary", "glossary", "Define a business term (the domain's team owners and admins)", nil, "TermInput", 201, "Term"},
	{"GET", "/glossary/{domain}/{term}", "glossary", "Get a term and the columns that carry it", nil, "", 200, "TermUsage"},
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// openAPISchemas are the shapes the operations refer to, kept loose where
// the README and the error messages say more.
var openAPISchemas = map[string]any{
	"Error": obj(map[string]any{"error": obj(map[string]any{
		"code": str("invalid, not_found, forbidden, unauthenticated, bad_request, internal"), "message": str(""),
		"field": str("the field at fault, when one is"), "fields": map[string]any{"type": "object", "additionalProperties": str("")},
		"request_id": str(""),
	})}),
	"Me":          obj(map[string]any{"id": integer(), "email": str(""), "name": str(""), "admin": boolean(), "roles": arr(str("")), "teams": arr(ref("TeamRole"))}),
	"TeamRole":    obj(map[string]any{"domain": str(""), "team": str(""), "role": str("owner or member")}),
	"Domain":      obj(map[string]any{"urn": str(""), "slug": str(""), "name": str(""), "description": str(""), "contact_email": str(""), "archived": boolean(), "teams": integer(), "created_at": dateTime(), "updated_at": dateTime()}),
	"DomainList":  obj(map[string]any{"domains": arr(ref("Domain"))}),
	"DomainInput": obj(map[string]any{"slug": str(""), "name": str(""), "description": str(""), "contact_email": str("")}),
	"DomainPatch": obj(map[string]any{"slug": str(""), "name": str(""), "description": str(""), "contact_email": str(""), "archived": boolean()}),
	"Removal":     obj(map[string]any{"slug": str(""), "outcome": str("deleted or archived")}),
	"Team":        obj(map[string]any{"urn": str(""), "domain": str(""), "slug": str(""), "name": str(""), "description": str(""), "archived": boolean(), "owners": integer(), "members": integer(), "created_at": dateTime(), "updated_at": dateTime()}),
	"TeamList":    obj(map[string]any{"teams": arr(ref("Team"))}),
	"TeamInput":   obj(map[string]any{"slug": str(""), "name": str(""), "description": str("")}),
	"TeamPatch":   obj(map[string]any{"slug": str(""), "name": str(""), "description": str(""), "archived": boolean()}),
	"Member":      obj(map[string]any{"email": str(""), "name": str(""), "role": str(""), "since": dateTime()}),
	"MemberList":  obj(map[string]any{"members": arr(ref("Member"))}),
	"MemberRole":  obj(map[string]any{"role": str("owner or member")}),
	"AuditPage": obj(map[string]any{"events": arr(obj(map[string]any{"id": integer(), "at": dateTime(), "actor": str(""), "action": str(""),
		"object_type": str(""), "object_id": str(""), "before": map[string]any{"type": "object"}, "after": map[string]any{"type": "object"}, "request_id": str("")})),
		"page": integer(), "per_page": integer(), "total": integer()}),
	"Column": obj(map[string]any{"name": str(""), "type": str(""), "description": str(""), "nullable": boolean(), "primary_key": boolean(), "pii": boolean(), "term": str("<domain>/<term>")}),
	"Port":   obj(map[string]any{"slug": str(""), "name": str(""), "format": str(""), "description": str(""), "columns": arr(ref("Column"))}),
	"ProductInput": obj(map[string]any{"slug": str(""), "name": str(""), "team": str("a team slug of the domain"), "summary": str(""),
		"description": str("Markdown"), "classification": str("public, internal, confidential or restricted"), "version": str("semantic version"),
		"terms_of_use": str(""), "tags": arr(str("")), "freshness_hours": integer(), "availability": str(""), "support_channel": str(""),
		"response_time": str(""), "output_ports": arr(ref("Port")),
		"input_ports": arr(obj(map[string]any{"upstream": str("<domain>/<product>[/<port>]"), "landing": str("glob"), "description": str("")})),
		"quality":     arr(obj(map[string]any{"port": str(""), "column": str(""), "kind": str(""), "description": str(""), "spec": str("JSON"), "blocking": boolean()})),
		"status":      str("PUT only: move along draft, published, deprecated, retired")}),
	"Product": obj(map[string]any{"urn": str(""), "domain": str(""), "team": str(""), "slug": str(""), "name": str(""), "summary": str(""),
		"description": str(""), "classification": str(""), "status": str(""), "version": str(""), "tags": arr(str("")),
		"sla":          obj(map[string]any{"freshness_hours": integer(), "availability": str(""), "support_channel": str(""), "response_time": str("")}),
		"output_ports": arr(ref("Port")), "url": str(""), "published_at": dateTime(), "updated_at": dateTime()}),
	"ContractImport": obj(map[string]any{"product": ref("Product"), "created": boolean(), "contract_status": str(""),
		"kept": arr(str("contract parts kept but not used")), "notes": arr(str(""))}),
	"SearchResult": obj(map[string]any{"products": arr(obj(map[string]any{"urn": str(""), "domain": str(""), "team": str(""), "slug": str(""),
		"name": str(""), "summary": str(""), "classification": str(""), "status": str(""), "version": str(""), "tags": arr(str("")),
		"updated_at": dateTime(), "snippet": str(""), "url": str("")})),
		"total": integer(), "page": integer(), "per_page": integer(), "sort": str(""), "suggestion": str("the corrected text, when a typo was fixed"),
		"facets": map[string]any{"type": "object", "additionalProperties": arr(obj(map[string]any{"value": str(""), "label": str(""), "count": integer(), "selected": boolean()}))}}),
	"Term":      obj(map[string]any{"domain": str(""), "slug": str(""), "ref": str(""), "name": str(""), "definition": str(""), "synonyms": arr(str("")), "url": str("")}),
	"TermList":  obj(map[string]any{"terms": arr(ref("Term"))}),
	"TermInput": obj(map[string]any{"domain": str(""), "slug": str(""), "name": str(""), "definition": str(""), "synonyms": str("comma-separated")}),
	"TermUsage": obj(map[string]any{"term": ref("Term"), "used_by": arr(obj(map[string]any{"product": str(""), "port": str(""), "column": str("")}))}),
}

func obj(props map[string]any) map[string]any {
	return map[string]any{"type": "object", "properties": props}
}
func str(desc string) map[string]any {
	if desc == "" {
		return map[string]any{"type": "string"}
	}
	return map[string]any{"type": "string", "description": desc}
}
func integer() map[string]any        { return map[string]any{"type": "integer"} }
func boolean() map[string]any        { return map[string]any{"type": "boolean"} }
func dateTime() map[string]any       { return map[string]any{"type": "string", "format": "date-time"} }
func arr(items any) map[string]any   { return map[string]any{"type": "array", "items": items} }
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
func content(schema any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

// openAPIDoc builds the OpenAPI 3 document from apiOps.
func (s *Server) openAPIDoc() map[string]any {
	paths := map[string]any{}
	for _, op := range apiOps {
		item, _ := paths[op.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.path] = item
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(op.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": str("")})
		}
		for _, q := range op.query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": str("")})
		}
		responses := map[string]any{
			"400": map[string]any{"description": "Bad request", "content": content(ref("Error"))},
			"401": map[string]any{"description": "No valid token", "content": content(ref("Error"))},
			"403": map[string]any{"description": "Not allowed", "content": content(ref("Error"))},
			"404": map[string]any{"description": "Not found", "content": content(ref("Error"))},
			"422": map[string]any{"description": "Invalid input, with the field named", "content": content(ref("Error"))},
		}
		ok := map[string]any{"description": http.StatusText(op.status)}
		switch op.response {
		case "":
		case "yaml":
			ok["content"] = map[string]any{"application/yaml": map[string]any{"schema": str("")}}
		default:
			ok["content"] = content(ref(op.response))
		}
		responses[strconv.Itoa(op.status)] = ok
		o := map[string]any{"tags": []string{op.tag}, "summary": op.summary, "operationId": operationID(op), "responses": responses}
		if params != nil {
			o["parameters"] = params
		}
		switch op.body {
		case "":
		case "yaml":
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/yaml": map[string]any{"schema": str("")}}}
		default:
			o["requestBody"] = map[string]any{"required": true, "content": content(ref(op.body))}
		}
		item[strings.ToLower(op.method)] = o
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Plaza API", "version": s.Opts.Version,
			"description": "The data mesh portal's API. Authenticate with a personal access token: Authorization: Bearer plz_..."},
		"servers":    []any{map[string]any{"url": s.Opts.BaseURL + "/api/v1"}},
		"security":   []any{map[string]any{"bearer": []string{}}},
		"paths":      paths,
		"components": map[string]any{"schemas": openAPISchemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
}

func operationID(op apiOp) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(op.method))
	for _, part := range strings.Split(op.path, "/") {
		part = strings.Trim(part, "{}")
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// OpenAPI serves the OpenAPI 3 document of /api/v1.
func (s *Server) OpenAPI(c echo.Context) error {
	return c.JSON(http.StatusOK, s.openAPIDoc())
}
