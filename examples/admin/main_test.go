package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestSelfCheck runs the example as CI does (no -addr) and checks that the
// changes it made through HTTP were audited.
func TestSelfCheck(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out, "", filepath.Join(t.TempDir(), "heroes.db")); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"audit: create team 3 by demo", `audit: update hero 2 by demo: {"team_id":{"old":null,"new":"3"}}`, "self-check passed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
