package ormtest

import (
	"strings"
	"testing"
)

// A database that Must skips is named in SkipSummary with its reason; a
// required one fails instead and is not a skip; nothing skipped, no line.
func TestSkipSummary(t *testing.T) {
	reset := func() {
		skipped.Lock()
		skipped.reasons = nil
		skipped.Unlock()
	}
	reset()
	t.Cleanup(reset)
	if got := SkipSummary(); got != "" {
		t.Fatalf("SkipSummary with nothing skipped = %q, want \"\"", got)
	}
	t.Setenv(EnvMySQLDSN, "root@tcp(127.0.0.1:1)/?timeout=5s")
	t.Setenv(EnvRequire, "postgres,sqlite")
	for range 2 { // two skipped tests, one entry
		t.Run("mysql", func(t *testing.T) {
			Must(t, "mysql")
			t.Error("Must returned on an unreachable server")
		})
	}
	got := SkipSummary()
	if !strings.HasPrefix(got, "ormtest: SKIPPED databases: mysql (") || strings.Count(got, "mysql (") != 1 ||
		!strings.Contains(got, "unreachable") || !strings.Contains(got, EnvRequire) || strings.Contains(got, "\n") {
		t.Errorf("SkipSummary = %q; want one line naming mysql once, with the reason and %s", got, EnvRequire)
	}
	if strings.Contains(got, "postgres") || strings.Contains(got, "sqlite") {
		t.Errorf("SkipSummary names a database that was not skipped: %q", got)
	}

	// A required database that cannot be reached fails: not a skip.
	reset()
	t.Setenv(EnvRequire, "mysql")
	recordUnavailable("mysql", &unavailableForTest{})
	if got := SkipSummary(); got != "" {
		t.Errorf("a required database is in the summary: %q", got)
	}
}

// unavailableForTest is an error that wraps ErrUnavailable.
type unavailableForTest struct{}

func (*unavailableForTest) Error() string { return "ormtest: mysql unavailable: test" }
func (*unavailableForTest) Unwrap() error { return ErrUnavailable }
