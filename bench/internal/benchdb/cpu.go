package benchdb

import (
	"testing"
	"time"
)

// CPUClock measures the CPU time (user + system) the whole benchmark
// process spends, to tell the client's own cost from time spent waiting for
// the server. For SQLite, an in-process engine, it includes the database's
// work; for PostgreSQL and MySQL only the client's (driver, ORM, GC).
type CPUClock struct{ start time.Duration }

// StartCPU reads the process CPU time now; call it right before the timed
// loop.
func StartCPU() CPUClock { return CPUClock{processCPU()} }

// Report adds the CPU time since StartCPU per iteration as "cpu-ns/op";
// call it after the loop. It reports nothing where the platform cannot
// tell.
func (c CPUClock) Report(b *testing.B) {
	end := processCPU()
	if end <= 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(end-c.start)/float64(b.N), "cpu-ns/op")
}
