package components

import (
	"bytes"
	"context"
	"io"

	"github.com/a-h/templ"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// md renders CommonMark with GitHub's tables, strikethrough and autolinks.
// Raw HTML in the source is dropped by goldmark (it is not in unsafe mode)
// and bluemonday's user-content policy removes whatever else could run.
var (
	md     = goldmark.New(goldmark.WithExtensions(extension.GFM))
	policy = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	}()
)

// RenderMarkdown returns sanitized HTML for Markdown text.
func RenderMarkdown(src string) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return policy.Sanitize(templ.EscapeString(src))
	}
	return policy.Sanitize(buf.String())
}

// Markdown renders Markdown text as safe HTML.
func Markdown(src string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<div class="prose">`+RenderMarkdown(src)+`</div>`)
		return err
	})
}
