// Package e2e holds Plaza's browser tests: they build the plaza binary once,
// start `plaza serve --demo` on a free loopback port with a temporary data
// folder, and drive Debian's chromium through chromedp. The tests skip when
// no chromium is found, unless PLAZA_E2E_REQUIRED is set.
package e2e
