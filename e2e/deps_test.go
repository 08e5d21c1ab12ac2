package e2e

// The tests build and run the plaza binary; go test's cache knows only the
// packages a test imports. Importing the binary's packages makes a change
// to any of them run the browser tests again instead of replaying a
// cached pass.
import (
	_ "plaza/handlers"
	_ "plaza/jobs"
	_ "plaza/lake"
	_ "plaza/models"
	_ "plaza/views"
)
