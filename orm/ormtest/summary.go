package ormtest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// skipped records, per dialect, the first reason a test of this test
// binary was skipped for: the summary Main prints. It is a record of what
// happened in this process, not configuration.
var skipped struct {
	sync.Mutex
	reasons map[string]string
}

// noteSkipped records that dialect was skipped because of err.
func noteSkipped(dialect string, err error) {
	skipped.Lock()
	defer skipped.Unlock()
	if skipped.reasons == nil {
		skipped.reasons = map[string]string{}
	}
	if _, ok := skipped.reasons[dialect]; !ok {
		skipped.reasons[dialect] = err.Error()
	}
}

// SkipSummary returns one line naming the dialects whose tests were
// skipped in this test binary so far, each with the reason, or "" when
// none was.
func SkipSummary() string {
	skipped.Lock()
	defer skipped.Unlock()
	if len(skipped.reasons) == 0 {
		return ""
	}
	var parts []string
	for _, d := range Dialects() {
		if r, ok := skipped.reasons[d]; ok {
			parts = append(parts, fmt.Sprintf("%s (%s)", d, strings.TrimPrefix(r, "ormtest: ")))
		}
	}
	for _, d := range slices.Sorted(func(yield func(string) bool) {
		for d := range skipped.reasons {
			if !slices.Contains(Dialects(), d) && !yield(d) {
				return
			}
		}
	}) {
		parts = append(parts, fmt.Sprintf("%s (%s)", d, skipped.reasons[d]))
	}
	return fmt.Sprintf("ormtest: SKIPPED databases: %s; set %s to make this a failure",
		strings.Join(parts, "; "), EnvRequire)
}

// Main runs the tests of m and returns the exit code for os.Exit; when
// tests of a database were skipped it prints SkipSummary once at the end.
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(ormtest.Main(m)) }
//
// go test ./... (package list mode) shows the output of a package only
// when it fails or with -v, so a passing package's summary would be lost.
// Main therefore prints it to standard output (shown with -v, -json, on
// failure, and by go test in a package directory) and, when the package
// passed and its output is being captured, also to the terminal (/dev/tty)
// if the process has one, so that a developer running go test ./... sees
// which databases did not run. Without a terminal (CI) only the captured
// output has it; CI should set SQLMODEL_REQUIRE_DIALECTS instead.
func Main(m *testing.M) int {
	code := m.Run()
	line := SkipSummary()
	if line == "" {
		return code
	}
	fmt.Fprintln(os.Stdout, line)
	if code == 0 && !testing.Verbose() && !isTerminal(os.Stdout) {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			writeTTY(tty, line)
		}
	}
	return code
}

// writeTTY writes line to the terminal and closes it.
func writeTTY(tty io.WriteCloser, line string) {
	defer tty.Close()
	_, _ = fmt.Fprintln(tty, line)
}

// isTerminal reports whether f is a character device (a terminal), where
// go test in a package directory streams the test's output already.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// recordUnavailable notes a skip for SkipSummary when err makes
// Unavailable skip (not fail) the test.
func recordUnavailable(dialect string, err error) {
	if errors.Is(err, ErrUnavailable) && !Required(dialect) {
		noteSkipped(dialect, err)
	}
}
