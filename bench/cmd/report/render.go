package main

import (
	"fmt"
	"strings"
	"time"
)

var (
	targets     = []string{"pgx", "pq", "mysql", "sqlite", "sqlite-go"}
	ops         = []string{"Insert", "InsertMulti", "Update", "Read", "ReadSlice"}
	crudNames   = []string{"raw", "sqlx", "gorm", "gorm-noprep", "bun", "bun-shared", "session", "db"}
	scenarios   = []string{"LoadChangeSave", "InsertGraph"}
	uowNames    = []string{"raw", "gorm", "gorm-noprep", "bun", "bun-shared", "session"}
	dialects    = []string{"postgres", "mysql", "sqlite"}
	bulkNames   = []string{"copy", "pgx-copyfrom", "pq-copyin", "multirow", "raw-multirow"}
	bulkRowsPer = 100_000.0
)

// keptSections are sections of the previous document carried over as they
// are: figures of benchmarks this command does not run.
var keptSections = []string{"Session core (issue 3)", "Relationships (issue 6)", "Session guard (issue 14)",
	"Values and streaming (issue 15)", "Restructuring (issue 17): before vs after",
	"Pipelined flush on pgx (issue 18)", "Preload (issue 18, item 3)",
	"Preload and loaders, per-row costs (issue 18, item 1 on the load path)",
	"Session fixed costs and the flush path (issue 18, item 1)"}

// keep extracts keptSections (at heading level 2 or 3) from the old
// document.
func keep(old string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(old, "\n")
	for _, name := range keptSections {
		start := -1
		for i, l := range lines {
			if l == "## "+name || l == "### "+name {
				start = i + 1
				break
			}
		}
		if start < 0 {
			continue
		}
		end := len(lines)
		for i := start; i < len(lines); i++ {
			if strings.HasPrefix(lines[i], "## ") || strings.HasPrefix(lines[i], "### ") {
				end = i
				break
			}
		}
		out[name] = strings.TrimSpace(strings.Join(lines[start:end], "\n"))
	}
	return out
}

func (info runInfo) targetTitle(t string) string {
	v := func(mod string) string {
		if s := info.Peers[mod]; s != "" {
			return " " + s
		}
		return ""
	}
	switch t {
	case "pgx":
		return "PostgreSQL through pgx stdlib (github.com/jackc/pgx/v5" + v("github.com/jackc/pgx/v5") + ")"
	case "pq":
		return "PostgreSQL through lib/pq (github.com/lib/pq" + v("github.com/lib/pq") + ")"
	case "mysql":
		return "MariaDB through go-sql-driver/mysql" + v("github.com/go-sql-driver/mysql")
	case "sqlite-go":
		return "SQLite through modernc.org/sqlite (pure Go)" + v("modernc.org/sqlite")
	}
	return "SQLite through mattn/go-sqlite3" + v("github.com/mattn/go-sqlite3")
}

func dur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", ns/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case d >= 10*time.Microsecond:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.2f µs", ns/1e3)
}

func count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func bytesOf(v float64) string {
	switch {
	case v >= 10<<20:
		return fmt.Sprintf("%.0f MB", v/(1<<20))
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MB", v/(1<<20))
	case v >= 10<<10:
		return fmt.Sprintf("%.0f kB", v/(1<<10))
	case v >= 1<<10:
		return fmt.Sprintf("%.1f kB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func yesNo(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**not met**"
}

// doc accumulates the Markdown text.
type doc struct {
	strings.Builder
	res map[string]stat
}

func (d *doc) p(format string, args ...any) { fmt.Fprintf(d, format+"\n", args...) }

func (d *doc) get(parts ...string) (stat, bool) {
	s, ok := d.res["Benchmark"+strings.Join(parts, "/")]
	return s, ok
}

func render(res map[string]stat, info runInfo, kept map[string]string) string {
	d := &doc{res: res}
	d.p("# Performance")
	d.p("")
	d.p("Measured figures, not goals. **This file is generated** by `bench/cmd/report` (`cd bench && go run ./cmd/report`)")
	d.p("from one run of the benchmarks in [`bench/`](../bench), a Go module of its own (`replace` to the repository root,")
	d.p("so it measures the working tree; GORM, Bun and sqlx stay out of the main `go.mod`). Every ratio compares two")
	d.p("benchmarks of that same run. Edit the generator, not this file (the sections under \"Earlier figures\" are carried")
	d.p("over from the previous version of the file).")
	d.p("")
	d.p("Run of %s (%s; load average %s before, %s after), commit `%s`.",
		info.Started.Format("2006-01-02 15:04 MST"), info.Elapsed, info.LoadBefore, info.LoadAfter, info.Commit)
	d.p("")
	d.machine(info)
	d.summary18()
	d.summary()
	d.method()
	d.peers()
	d.crud(info)
	d.uow(info)
	d.preload()
	d.bulk(info)
	d.commands(info)
	if len(kept) > 0 {
		d.p("## Earlier figures (not re-run by the report)")
		d.p("")
		d.p("Measured by hand at an earlier commit, with the commands they give (the benchmarks are still in `bench/`),")
		d.p("before the benchmark databases ran with `synchronous_commit=off` (PostgreSQL) and WAL (SQLite); they are not")
		d.p("re-measured by the report and may lag behind later optimisations.")
		d.p("")
		for _, name := range keptSections {
			if s, ok := kept[name]; ok {
				d.p("### %s", name)
				d.p("")
				d.p("%s", s)
				d.p("")
			}
		}
	}
	return strings.TrimRight(d.String(), "\n") + "\n"
}

func (d *doc) machine(info runInfo) {
	d.p("## Machine and versions")
	d.p("")
	for _, m := range info.Machine {
		d.p("- %s", m)
	}
	var peers []string
	for _, mod := range []string{"gorm.io/gorm", "gorm.io/driver/postgres", "gorm.io/driver/mysql", "gorm.io/driver/sqlite",
		"github.com/uptrace/bun", "github.com/jmoiron/sqlx", "github.com/jackc/pgx/v5", "github.com/lib/pq",
		"github.com/go-sql-driver/mysql", "github.com/mattn/go-sqlite3", "modernc.org/sqlite"} {
		if v := info.Peers[mod]; v != "" {
			peers = append(peers, mod+" "+v)
		}
	}
	d.p("- Pinned in `bench/go.mod`: %s", strings.Join(peers, ", "))
	d.p("")
	d.p("**Noise.** The machine is a VM with 2 vCPUs shared with other engineers' builds and tests (see the load averages")
	d.p("above): absolute times drift between runs, sometimes by 2×, and a single benchmark can catch a burst of")
	d.p("someone else's work. Interference only ever adds time, so each time below is the **best of the runs** given in")
	d.p("the commands (`-count`, spread over the whole run), and B/op and allocs/op their median. Compare entrants within a")
	d.p("table rather than across runs, and trust allocations (deterministic) more than times.")
	d.p("")
}

// summary checks the targets of issue 7 on PostgreSQL through pgx.
func (d *doc) summary() {
	d.p("## Issue 7 targets (PostgreSQL, pgx)")
	d.p("")
	d.p("| target | measured | result |")
	d.p("|---|---|---|")
	for _, op := range ops {
		raw, ok1 := d.get("CRUD", "pgx", op, "raw")
		s, ok2 := d.get("CRUD", "pgx", op, "session")
		if !ok1 || !ok2 {
			continue
		}
		d.p("| session %s time ≤ 1.10× raw | %s vs %s: %s | %s |", op, dur(s.Ns), dur(raw.Ns), ratio(s.Ns, raw.Ns), yesNo(s.Ns <= 1.10*raw.Ns))
	}
	d.allocTargets(ops, "session", "session", "raw", 1.3)
	d.allocTargets([]string{"Read", "ReadSlice", "InsertMulti"}, "session", "session", "bun", 0)
	d.allocTargets(ops, "db", "`*DB`", "raw", 1)
	for _, sc := range scenarios {
		s, ok := d.get("UoW", "pgx", sc, "session")
		g, okg := d.get("UoW", "pgx", sc, "gorm")
		bn, okb := d.get("UoW", "pgx", sc, "bun")
		if !ok || !okg || !okb {
			continue
		}
		d.p("| unit of work %s faster than GORM and Bun | session %s, GORM %s, Bun %s | %s |", sc, dur(s.Ns), dur(g.Ns), dur(bn.Ns), yesNo(s.Ns < g.Ns && s.Ns < bn.Ns))
	}
	if c, ok := d.get("BulkInsert", "pgx", "copy"); ok {
		if f, ok := d.get("BulkInsert", "pgx", "pgx-copyfrom"); ok {
			d.p("| BulkInsert 100k COPY ≤ 1.25× pgx CopyFrom | %s vs %s: %s | %s |", dur(c.Ns), dur(f.Ns), ratio(c.Ns, f.Ns), yesNo(c.Ns <= 1.25*f.Ns))
		}
	}
	if c, ok := d.get("BulkInsert", "pgx", "multirow"); ok {
		if f, ok := d.get("BulkInsert", "pgx", "raw-multirow"); ok {
			d.p("| BulkInsert 100k multi-row ≤ 1.2× hand-written | %s vs %s: %s | %s |", dur(c.Ns), dur(f.Ns), ratio(c.Ns, f.Ns), yesNo(c.Ns <= 1.2*f.Ns))
		}
	}
	d.p("")
	d.p("The same ratios for lib/pq, MariaDB and SQLite are in the tables below.")
	d.p("")
}

func (d *doc) method() {
	d.p("## What is measured, and how it is kept fair")
	d.p("")
	d.p("- **Targets.** Four tables, one per database and driver: PostgreSQL through pgx's `database/sql` driver, PostgreSQL")
	d.p("  through lib/pq, MariaDB through go-sql-driver/mysql, SQLite through mattn/go-sqlite3. All entrants of a table use")
	d.p("  the same driver and DSN settings (MySQL with `parseTime` and `clientFoundRows`; SQLite with foreign keys, a busy")
	d.p("  timeout and `_txlock=immediate`) and run on **one pool**, the ORM's `db.SQL()` (GORM through `Conn`, Bun through")
	d.p("  `bun.NewDB`, sqlx through `sqlx.NewDb`), except Bun on pgx, which gets a pool of its own with the one setting its")
	d.p("  documentation asks for (next section). Each target is a fresh PostgreSQL schema, MariaDB database or SQLite")
	d.p("  file, dropped at the end.")
	d.p("- **Clients, not disks.** PostgreSQL connections run with `synchronous_commit=off` and SQLite in WAL mode with")
	d.p("  `synchronous=NORMAL`, so a commit does not wait for an fsync, whose latency on this VM swamps everything else.")
	d.p("  MariaDB's equivalent is a server-wide setting, left as the server has it (see Machine): its single-row writes")
	d.p("  include a log flush per commit.")
	d.p("- **Table.** `models` (id autoincrement, name/title/fax/web text, age int, \"right\" bool, counter bigint), created")
	d.p("  by hand with the same DDL for everyone. Before each entrant it is emptied and seeded with 1,000 rows.")
	d.p("- **Entrants.** `raw`: `database/sql` written by hand, the floor. `sqlx`: `NamedExec`/`NamedQuery` for writes, `Get`/")
	d.p("  `Select` for reads. `gorm`: `Create`, `Save`, `First`, `Where/Order/Limit/Find` (no default transaction,")
	d.p("  prepared-statement cache, no logger). `bun`: `NewInsert`, `NewUpdate().WherePK()`, `NewSelect`. `session`: a new `orm.Session` per operation:")
	d.p("  `Add` + `Commit`, `MarkDirty` + `Commit` (an update by key without loading: the flush writes every column),")
	d.p("  `orm.Get`, `orm.Select[T](s)...All`. `db`: `*orm.DB` without a session: `orm.BulkInsert(ctx, db, objs,")
	d.p("  orm.BulkReturnKeys())` for Insert and InsertMulti, `orm.Exec` for Update, `orm.Select[T](db)` for reads.")
	d.p("- **Same work for everyone.** Every entrant allocates a new object per row and reads generated keys back into")
	d.p("  it (RETURNING on PostgreSQL, LastInsertId on MariaDB and SQLite; `raw` and `sqlx` compute consecutive keys of a")
	d.p("  multi-row INSERT). Every Update hits an existing row (keys cycle over the seeded 1..1,000; `raw`, `sqlx`,")
	d.p("  `gorm`, `bun` and `db` check one row affected, the session checks it itself; the last update is verified")
	d.p("  after the loop). Every Read finds its row; every ReadSlice reads exactly 100 rows (`WHERE id > 0 ORDER BY id")
	d.p("  LIMIT 100`, checked) into `[]*T`. Insert row counts are verified after the loop.")
	d.p("- **Timing.** `b.Loop`, so setup is not timed; `-benchmem`. Times are wall-clock per operation, including the")
	d.p("  round trips to the server, which dominate on PostgreSQL and MariaDB: a client-side difference shows up")
	d.p("  diluted there, and undiluted in allocations and on SQLite.")
	d.p("")
}

// entrantName is how an entrant appears in the tables: ours in bold, the
// peers' earlier configurations in italics (see "How peers are configured").
func entrantName(e string) string {
	switch e {
	case "session", "db":
		return "**" + e + "**"
	case "gorm-noprep", "bun-shared":
		return "_" + e + "_"
	}
	return e
}

func (d *doc) crud(info runInfo) {
	d.p("## Standard operations")
	d.p("")
	d.p("Insert one row, InsertMulti (100 rows in one statement), Update all columns by key, Read one row by key,")
	d.p("ReadSlice of 100 rows. `×raw` is the ratio to the `raw` entrant of the same table. `gorm` and `bun` are")
	d.p("configured as their documentation recommends; _gorm-noprep_ and _bun-shared_ (pgx only) are the configurations")
	d.p("of earlier reports, kept for comparison (see \"How peers are configured\").")
	d.p("")
	for _, t := range targets {
		if _, ok := d.get("CRUD", t, "Read", "raw"); !ok {
			continue
		}
		d.p("### %s", info.targetTitle(t))
		d.p("")
		d.p("| op | entrant | time/op | ×raw | B/op | allocs/op | allocs ×raw |")
		d.p("|---|---|--:|--:|--:|--:|--:|")
		for _, op := range ops {
			raw, _ := d.get("CRUD", t, op, "raw")
			for _, e := range crudNames {
				s, ok := d.get("CRUD", t, op, e)
				if !ok {
					continue
				}
				d.p("| %s | %s | %s | %s | %s | %s | %s |", op, entrantName(e), dur(s.Ns), ratio(s.Ns, raw.Ns), bytesOf(s.Bytes), count(s.Allocs), ratio(s.Allocs, raw.Allocs))
			}
		}
		d.p("")
	}
}

func (d *doc) uow(info runInfo) {
	d.p("## Unit of work")
	d.p("")
	d.p("- **LoadChangeSave**: load 100 parents with their 10 children each (1,100 objects), change one child in ten,")
	d.p("  save the 100 changed children in one transaction. `raw`: the two SELECTs stitched with a map, then one")
	d.p("  prepared UPDATE of the changed column run 100 times in a transaction. `gorm`: `Preload(\"Children\")`, then")
	d.p("  `Save` of each changed child in `Transaction`. `bun`: `Relation(\"Children\")`, then `NewUpdate().Model(c).WherePK()`")
	d.p("  of each changed child in `RunInTx`. `session`: `orm.Select[Parent](s).Preload(\"Children\").All`, change the")
	d.p("  fields, `Commit` (the flush finds the 100 changes by snapshot and writes only the changed column).")
	d.p("- **InsertGraph**: 100 new parents with 9 new children each (1,000 objects) written in one transaction, keys read")
	d.p("  back and copied into the children's foreign keys. `raw`: two multi-row INSERTs. `gorm`: `Create(&parents)`")
	d.p("  with their `Children` in `Transaction`. `bun`: insert the parents, copy the keys, insert the children, in")
	d.p("  `RunInTx`. `session`: `Add` of each parent (its loaded `Children` cascade), `Commit`.")
	d.p("- _gorm-noprep_ and _bun-shared_ do what `gorm` and `bun` do, configured as in earlier reports.")
	d.p("")
	for _, t := range targets {
		if _, ok := d.get("UoW", t, "LoadChangeSave", "raw"); !ok {
			continue
		}
		d.p("### %s", info.targetTitle(t))
		d.p("")
		d.p("| scenario | entrant | time/op | ×raw | B/op | allocs/op | allocs ×raw |")
		d.p("|---|---|--:|--:|--:|--:|--:|")
		for _, sc := range scenarios {
			raw, _ := d.get("UoW", t, sc, "raw")
			for _, e := range uowNames {
				s, ok := d.get("UoW", t, sc, e)
				if !ok {
					continue
				}
				d.p("| %s | %s | %s | %s | %s | %s | %s |", sc, entrantName(e), dur(s.Ns), ratio(s.Ns, raw.Ns), bytesOf(s.Bytes), count(s.Allocs), ratio(s.Allocs, raw.Allocs))
			}
		}
		d.p("")
	}
}

func (d *doc) bulk(info runInfo) {
	d.p("## BulkInsert of 100,000 rows")
	d.p("")
	d.p("`copy`: `orm.BulkInsert(ctx, db, objs, orm.BulkCopy())` (PostgreSQL). `multirow`: `orm.BulkInsert(ctx, db, objs,")
	d.p("orm.BulkNoCopy())`, 1,000 rows per INSERT. Floors: `pgx-copyfrom` (pgx `CopyFrom` through the raw connection of")
	d.p("the same pool), `pq-copyin` (lib/pq `CopyIn` in a transaction), `raw-multirow` (hand-written 1,000-row INSERT")
	d.p("prepared once and run 100 times in one transaction). The objects exist before the timed loop; the table is emptied")
	d.p("(untimed) before each iteration and its row count checked after. `×floor`: `copy` against the driver's own COPY,")
	d.p("`multirow` against `raw-multirow`.")
	d.p("")
	for _, t := range targets {
		if _, ok := d.get("BulkInsert", t, "raw-multirow"); !ok {
			continue
		}
		d.p("### %s", info.targetTitle(t))
		d.p("")
		d.p("| entrant | time/op | rows/s | ×floor | B/op | allocs/op |")
		d.p("|---|--:|--:|--:|--:|--:|")
		copyFloor, _ := d.get("BulkInsert", t, "pgx-copyfrom")
		if t == "pq" {
			copyFloor, _ = d.get("BulkInsert", t, "pq-copyin")
		}
		multiFloor, _ := d.get("BulkInsert", t, "raw-multirow")
		for _, e := range bulkNames {
			s, ok := d.get("BulkInsert", t, e)
			if !ok {
				continue
			}
			floor := "floor"
			name := e
			switch e {
			case "copy":
				floor, name = ratio(s.Ns, copyFloor.Ns), "**copy**"
			case "multirow":
				floor, name = ratio(s.Ns, multiFloor.Ns), "**multirow**"
			}
			d.p("| %s | %s | %s | %s | %s | %s |", name, dur(s.Ns), count(bulkRowsPer/(s.Ns/1e9)), floor, bytesOf(s.Bytes), count(s.Allocs))
		}
		d.p("")
	}
}

func (d *doc) commands(info runInfo) {
	d.p("## Reproduce")
	d.p("")
	d.p("```sh")
	d.p("cd bench")
	d.p("go run ./cmd/report            # runs everything below, rewrites docs/performance.md and bench/results.txt")
	d.p("go run ./cmd/report -quick     # the same pipeline with a few iterations each (about a minute)")
	d.p("go run ./cmd/report -in results.txt   # re-render this file from a saved run")
	d.p("```")
	d.p("")
	d.p("The report compiles the benchmarks once (`go test -c`) and runs the test binary with the flags of:")
	d.p("")
	d.p("```sh")
	for _, c := range info.Commands {
		d.p("%s", c)
	}
	d.p("```")
	d.p("")
	d.p("Databases come from `SQLMODEL_POSTGRES_DSN` and `SQLMODEL_MYSQL_DSN` (defaults: the local servers on")
	d.p("127.0.0.1:5432 and :3306); a server that cannot be reached skips its sub-benchmarks with the reason. The raw")
	d.p("output of the run is in [`bench/results.txt`](../bench/results.txt). CPU and memory profiles of one entrant:")
	d.p("")
	d.p("```sh")
	d.p("go test -run '^$' -bench 'CRUD/pgx/Read/session' -benchtime 3s -cpuprofile cpu.out -memprofile mem.out")
	d.p("go tool pprof -top -cum cpu.out; go tool pprof -sample_index=alloc_objects -top mem.out")
	d.p("```")
	d.p("")
}

// allocTargets writes a target row per operation of the pgx CRUD table:
// entrant a's allocations against b's, at most limit × b's, or fewer than
// b's when limit is 0. name is how a is shown ("session", "`*DB`").
func (d *doc) allocTargets(ops []string, a, name, b string, limit float64) {
	for _, op := range ops {
		x, ok1 := d.get("CRUD", "pgx", op, a)
		y, ok2 := d.get("CRUD", "pgx", op, b)
		if !ok1 || !ok2 {
			continue
		}
		switch {
		case limit == 0:
			d.p("| %s %s allocs < %s | %s vs %s | %s |", name, op, strings.ToUpper(b[:1])+b[1:], count(x.Allocs), count(y.Allocs), yesNo(x.Allocs < y.Allocs))
		case limit == 1:
			d.p("| %s %s allocs ≤ %s | %s vs %s: %s | %s |", name, op, b, count(x.Allocs), count(y.Allocs), ratio(x.Allocs, y.Allocs), yesNo(x.Allocs <= y.Allocs))
		default:
			d.p("| %s %s allocs ≤ %g× %s | %s vs %s: %s | %s |", name, op, limit, b, count(x.Allocs), count(y.Allocs), ratio(x.Allocs, y.Allocs), yesNo(x.Allocs <= limit*y.Allocs))
		}
	}
}
