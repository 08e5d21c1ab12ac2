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
	body                       string   // request schema name, "" for none, or a media kind (see media)
	status                     int      // success status
	response                   string   // response schema name, or a media kind
}

var apiOps = []apiOp{
	{"POST", "/query", "query", "Run SQL over the products you may read now (public, your team's, your active grants); JSON (first rows, column types, snapshots read) or, by Accept, the whole result as text/csv or application/vnd.apache.parquet. 403 no_access names the product; 422 sql_error or limit; 429 busy", nil, "QueryRequest", 200, "QueryResult"},
	{"GET", "/queries", "query", "Page through your own queries, newest first, with what each read", []string{"page", "per_page"}, "", 200, "QueryList"},
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
	{"POST", "/access-requests", "access", "Ask for access to a product's output ports (409 names an open request or active grant)", nil, "AccessRequestInput", 201, "AccessRequest"},
	{"GET", "/access-requests", "access", "List your requests (view=mine) or those waiting for your decision (view=decide)", []string{"view"}, "", 200, "AccessRequestList"},
	{"GET", "/access-requests/{id}", "access", "Get a request (its requester, its deciders and admins)", nil, "", 200, "AccessRequest"},
	{"POST", "/access-requests/{id}/approve", "access", "Approve a request as its product's owner or its domain's steward", nil, "Decision", 200, "AccessRequest"},
	{"POST", "/access-requests/{id}/deny", "access", "Deny a request, saying why in the comment", nil, "Decision", 200, "AccessRequest"},
	{"POST", "/access-requests/{id}/withdraw", "access", "Withdraw your own pending request", nil, "", 200, "AccessRequest"},
	{"GET", "/grants", "access", "List your grants, active ones first", nil, "", 200, "GrantList"},
	{"POST", "/grants/{id}/revoke", "access", "Revoke a grant now (the product's owners, its domain's stewards and admins)", nil, "Revocation", 200, "Grant"},
	{"GET", "/products/{domain}/{product}/grants", "access", "Who holds or held access to a product (its owners, stewards and admins)", nil, "", 200, "ProductGrants"},
	{"GET", "/policies", "access", "The access policy of every classification", nil, "", 200, "PolicyList"},
	{"PUT", "/policies/{classification}", "access", "Replace one classification's access policy (admins); it applies to new requests", nil, "PolicyInput", 200, "Policy"},
	{"GET", "/landing/{domain}", "landing", "List a domain's landing files (its teams' people and admins); rows and columns once inspected", nil, "", 200, "LandingList"},
	{"POST", "/landing/{domain}", "landing", "Upload one file, the raw request body, to ?path=folder/name.csv (CSV, JSON/NDJSON or Parquet; streamed; 413 too_large beyond the upload limit)", []string{"path"}, "file", 201, "LandingFile"},
	{"GET", "/pipelines", "pipelines", "List the pipelines you can see, with their last run", []string{"domain", "team"}, "", 200, "PipelineList"},
	{"GET", "/pipelines/{id}", "pipelines", "Get a pipeline: its definition, last run and what you may do", nil, "", 200, "Pipeline"},
	{"PUT", "/products/{domain}/{product}/pipelines/{port}", "pipelines", "Create (201) or replace (200) the pipeline of an output port (the team's owners and admins)", nil, "PipelineSpec", 200, "Pipeline"},
	{"POST", "/pipelines/{id}/runs", "pipelines", "Run a pipeline now (the team's people and admins); the body is optional; 409 names the run already queued or running (error.run)", nil, "RunRequest", 202, "Run"},
	{"GET", "/runs", "pipelines", "Page through the runs of the pipelines you can see, newest first", []string{"pipeline", "status", "page", "per_page"}, "", 200, "RunList"},
	{"GET", "/runs/{id}", "pipelines", "Get a run: status, times, rows, bytes, error, checks with failing rows and samples, and its log", nil, "", 200, "Run"},
	{"POST", "/runs/{id}/cancel", "pipelines", "Cancel a queued run, or ask a running one to stop (the team's people and admins); 409 once finished", nil, "", 200, "Run"},
	{"GET", "/products/{domain}/{product}/snapshots", "pipelines", "A product's kept snapshots, newest first", []string{"port"}, "", 200, "SnapshotList"},
	{"GET", "/products/{domain}/{product}/ports/{port}/download", "pipelines", "Download a snapshot (the current one, or ?snapshot=) as Parquet (default) or CSV, with access (403 no_access otherwise); audited", []string{"format", "snapshot"}, "", 200, "data"},
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// openAPISchemas are the shapes the operations refer to, kept loose where
// the README and the error messages say more.
var openAPISchemas = map[string]any{
	"QueryRequest": obj(map[string]any{"sql": str("DuckDB SQL; products are views named <domain>.<product> (underscores for hyphens; _<port> when a product has several), pinned with @<snapshot> or @<time>"),
		"pins":     map[string]any{"type": "object", "additionalProperties": str(""), "description": "view -> snapshot name or time, for every use of the view"},
		"max_rows": integer()}),
	"QueryResult": obj(map[string]any{"query": integer(), "columns": arr(ref("ColumnType")), "rows": arr(arr(map[string]any{})),
		"row_count": integer(), "truncated": boolean(), "duration_ms": integer(),
		"reads": arr(obj(map[string]any{"view": str(""), "product": str("<domain>/<product>"), "port": str(""), "snapshot": str(""),
			"snapshot_at": dateTime(), "pinned": boolean(), "basis": str("team, open or grant"), "grant": integer()}))}),
	"QueryList": obj(map[string]any{"queries": arr(obj(map[string]any{"id": integer(), "sql": str(""), "source": str("browser or api"),
		"status": str("running, succeeded, failed, cancelled, refused"), "error": str(""), "rows": integer(), "duration_ms": integer(),
		"started_at": dateTime(), "finished_at": dateTime(), "reads": arr(str(""))})), "page": integer(), "per_page": integer(), "pages": integer()}),
	"Error": obj(map[string]any{"error": obj(map[string]any{
		"code": str("invalid, not_found, forbidden, no_access, conflict, exists, unauthenticated, bad_request, internal"), "message": str(""),
		"field": str("the field at fault, when one is"), "fields": map[string]any{"type": "object", "additionalProperties": str("")},
		"existing":   obj(map[string]any{"request": integer(), "grant": integer(), "status": str(""), "expires_at": dateTime()}),
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

	// Access.
	"ProductRef": obj(map[string]any{"domain": str(""), "slug": str(""), "name": str(""), "urn": str("")}),
	"Person":     obj(map[string]any{"email": str(""), "name": str("")}),
	"AccessRequestInput": obj(map[string]any{"product": str("<domain>/<product>"), "ports": arr(str("output port slugs")),
		"purpose": str("what the data is for, at least 10 characters"), "duration_days": integer(),
		"accept_terms": boolean(), "renewal_of": integer()}),
	"AccessRequest": obj(map[string]any{"id": integer(), "product": ref("ProductRef"), "requester": ref("Person"),
		"ports": arr(str("")), "purpose": str(""), "duration_days": integer(), "status": str("pending, granted, denied or withdrawn"),
		"classification": str("the product's, when the request was sent"),
		"needs":          obj(map[string]any{"owners": integer(), "stewards": integer()}),
		"waiting_for":    str("the approvals still missing; empty once closed"),
		"decisions": arr(obj(map[string]any{"decider": ref("Person"), "as": str("owner, steward, or owner and steward"),
			"verdict": str("approve or deny"), "comment": str(""), "at": dateTime()})),
		"grant": ref("Grant"), "renewal_of": integer(), "created_at": dateTime(), "closed_at": dateTime()}),
	"AccessRequestList": obj(map[string]any{"view": str("mine or decide"), "requests": arr(ref("AccessRequest"))}),
	"Decision":          obj(map[string]any{"comment": str("optional to approve, required to deny")}),
	"Grant": obj(map[string]any{"id": integer(), "request_id": integer(), "product": ref("ProductRef"), "holder": ref("Person"),
		"ports": arr(str("")), "purpose": str(""), "status": str("active, expired, revoked or renewed"),
		"starts_at": dateTime(), "expires_at": dateTime(), "ended_at": dateTime(), "ended_by": ref("Person"),
		"end_reason": str(""), "review_due_at": dateTime()}),
	"GrantList":     obj(map[string]any{"grants": arr(ref("Grant"))}),
	"ProductGrants": obj(map[string]any{"product": ref("ProductRef"), "grants": arr(ref("Grant"))}),
	"Revocation":    obj(map[string]any{"reason": str("why, for the holder")}),
	"PolicyInput": obj(map[string]any{"request_required": boolean(), "owner_approvals": integer(), "steward_approvals": integer(),
		"require_terms": boolean(), "max_days": integer(), "review_days": integer()}),
	"Policy": obj(map[string]any{"classification": str(""), "request_required": boolean(), "owner_approvals": integer(),
		"steward_approvals": integer(), "require_terms": boolean(), "max_days": integer(), "review_days": integer(),
		"duration_choices": arr(integer()), "updated_at": dateTime()}),
	"PolicyList": obj(map[string]any{"policies": arr(ref("Policy"))}),

	// Landing, pipelines, runs and snapshots.
	"LandingFile": obj(map[string]any{"path": str("relative to the domain's landing folder"), "size": integer(), "modified": dateTime(),
		"format": str("csv, json or parquet; empty when Plaza cannot read it"), "rows": integer(), "columns": arr(ref("ColumnType"))}),
	"LandingList": obj(map[string]any{"domain": str(""), "max_upload": integer(), "files": arr(ref("LandingFile"))}),
	"ColumnType":  obj(map[string]any{"name": str(""), "type": str("")}),
	"PipelineSpec": obj(map[string]any{"port": str("optional: the address names it"), "sql": str("DuckDB SELECT over the inputs"),
		"inputs": arr(obj(map[string]any{"name": str("the view the SQL reads"), "landing": str("glob under the domain's landing folder"),
			"upstream": str("<domain>/<product>/<port>"), "format": str("csv, json or parquet; empty: by extension")})),
		"schedule": str("manual, cron or upstream"), "cron": str("with schedule cron"), "timeout_seconds": integer(),
		"memory_mb": integer(), "retention": integer(), "paused": boolean()}),
	"Pipeline": obj(map[string]any{"id": integer(), "product": ref("ProductRef"), "port": str(""), "sql": str(""),
		"inputs":   arr(obj(map[string]any{"name": str(""), "landing": str(""), "upstream": str(""), "format": str("")})),
		"schedule": str(""), "cron": str(""), "timeout_seconds": integer(), "memory_mb": integer(), "retention": integer(),
		"paused": boolean(), "next_run_at": dateTime(), "last_run": ref("Run"), "url": str(""), "created_at": dateTime(),
		"updated_at": dateTime(), "can_edit": boolean(), "can_run": boolean()}),
	"PipelineList": obj(map[string]any{"pipelines": arr(ref("Pipeline"))}),
	"RunRequest":   obj(map[string]any{"accept_schema": boolean()}),
	"Run": obj(map[string]any{"id": integer(), "pipeline": integer(), "product": ref("ProductRef"), "port": str(""),
		"status": str("queued, running, succeeded, failed or cancelled"), "trigger": str("manual, schedule or upstream"),
		"accept_schema": boolean(), "cancel_requested": boolean(), "attempt": integer(), "queued_at": dateTime(),
		"started_at": dateTime(), "finished_at": dateTime(), "duration_seconds": map[string]any{"type": "number"},
		"rows": integer(), "bytes": integer(), "error": str(""), "checks_passed": integer(), "checks_failed": integer(),
		"snapshot_id": integer(), "url": str(""), "requested_by": ref("Person"), "can_cancel": boolean(),
		"failed_on_schema": boolean(), "log": str("the single run only"),
		"checks": arr(obj(map[string]any{"name": str(""), "kind": str(""), "column": str(""), "blocking": boolean(),
			"passed": boolean(), "failing_rows": integer(), "sample": arr(map[string]any{"type": "object"}), "message": str("")}))}),
	"RunList": obj(map[string]any{"runs": arr(ref("Run")), "page": integer(), "per_page": integer(), "more": boolean()}),
	"Snapshot": obj(map[string]any{"port": str(""), "name": str(""), "rows": integer(), "bytes": integer(), "created_at": dateTime(),
		"current": boolean(), "run": integer(), "columns": arr(ref("ColumnType")), "download": str("")}),
	"SnapshotList": obj(map[string]any{"product": ref("ProductRef"), "snapshots": arr(ref("Snapshot"))}),
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

// media are the bodies that are not JSON: a kind names their media types.
var media = map[string][]string{
	"yaml": {"application/yaml"},
	"file": {"application/octet-stream"},                   // a landing file, sent as is
	"data": {"application/vnd.apache.parquet", "text/csv"}, // a snapshot, by ?format=
}

// bodyContent is the OpenAPI content of a request or response body: a
// schema name is JSON, a media kind its types; "" is no body.
func bodyContent(name string) map[string]any {
	if name == "" {
		return nil
	}
	types, ok := media[name]
	if !ok {
		return content(ref(name))
	}
	out := map[string]any{}
	for _, t := range types {
		schema := map[string]any{"type": "string", "format": "binary"}
		if t == "application/yaml" {
			schema = str("")
		}
		out[t] = map[string]any{"schema": schema}
	}
	return out
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
		if c := bodyContent(op.response); c != nil {
			ok["content"] = c
		}
		responses[strconv.Itoa(op.status)] = ok
		o := map[string]any{"tags": []string{op.tag}, "summary": op.summary, "operationId": operationID(op), "responses": responses}
		if params != nil {
			o["parameters"] = params
		}
		if c := bodyContent(op.body); c != nil {
			o["requestBody"] = map[string]any{"required": true, "content": c}
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
		for _, word := range strings.Split(strings.Trim(part, "{}"), "-") {
			if word != "" {
				b.WriteString(strings.ToUpper(word[:1]) + word[1:])
			}
		}
	}
	return b.String()
}

// OpenAPI serves the OpenAPI 3 document of /api/v1.
func (s *Server) OpenAPI(c echo.Context) error {
	return c.JSON(http.StatusOK, s.openAPIDoc())
}
