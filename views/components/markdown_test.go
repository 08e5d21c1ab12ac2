package components

import (
	"strings"
	"testing"
)

func TestRenderMarkdownIsSafe(t *testing.T) {
	cases := []struct {
		src       string
		want      []string
		forbidden []string
	}{
		{"# Orders\n\nOne row per **order**.", []string{"<h1", "<strong>order</strong>"}, nil},
		{"<script>alert(1)</script>\n\nhello", []string{"hello"}, []string{"<script", "alert(1)</"}},
		{"[x](javascript:alert(1))", nil, []string{"javascript:"}},
		{"<img src=x onerror=alert(1)>", nil, []string{"onerror"}},
		{"| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
		{"see https://example.com", []string{`href="https://example.com"`, `rel="nofollow`}, nil},
		{`<a href="x" style="color:red" onclick="y()">z</a>`, nil, []string{"onclick", "style="}},
	}
	for _, tc := range cases {
		got := RenderMarkdown(tc.src)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("RenderMarkdown(%q) = %q, want it to contain %q", tc.src, got, w)
			}
		}
		for _, f := range tc.forbidden {
			if strings.Contains(got, f) {
				t.Errorf("RenderMarkdown(%q) = %q, must not contain %q", tc.src, got, f)
			}
		}
	}
}
