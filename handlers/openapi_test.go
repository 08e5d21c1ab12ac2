package handlers

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// Every /api/v1 route is in the OpenAPI document, and the document lists
// no operation the server does not have.
func TestOpenAPICoversEveryAPIRoute(t *testing.T) {
	e := freshEnv(t)
	status, body := e.anon().api("GET", "/api/v1/openapi.json", "", "")
	if status != http.StatusOK {
		t.Fatalf("openapi.json: %d", status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([a-z]+)`)
	routes := map[string]bool{}
	for _, r := range e.Srv.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/openapi.json" || strings.HasPrefix(r.Method, "echo_route") {
			continue
		}
		path := param.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), "{$1}")
		key := strings.ToLower(r.Method) + " " + path
		routes[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is not in the OpenAPI document", r.Method, r.Path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !routes[method+" "+path] {
				t.Errorf("the OpenAPI document lists %s %s, which is not a route", strings.ToUpper(method), path)
			}
		}
	}
	// Bodies that are not JSON say what they are.
	var ops struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &ops); err != nil {
		t.Fatal(err)
	}
	if _, ok := ops.Paths["/landing/{domain}"]["post"].RequestBody.Content["application/octet-stream"]; !ok {
		t.Errorf("the landing upload does not take application/octet-stream")
	}
	download := ops.Paths["/products/{domain}/{product}/ports/{port}/download"]["get"].Responses["200"].Content
	for _, typ := range []string{"application/vnd.apache.parquet", "text/csv"} {
		if _, ok := download[typ]; !ok {
			t.Errorf("the download does not answer %s", typ)
		}
	}
	if _, ok := ops.Paths["/products/{domain}/{product}/contract"]["get"].Responses["200"].Content["application/yaml"]; !ok {
		t.Errorf("the contract is not YAML")
	}
}
