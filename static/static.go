// Package static embeds Plaza's stylesheet, scripts (htmx, vendored) and
// icons, so the binary serves every asset itself: no CDN, no network.
package static

import "embed"

// FS holds every asset, served under /static/.
//
//go:embed *.css *.js *.svg
var FS embed.FS
