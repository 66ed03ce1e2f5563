package main

// peers says how each peer is configured, and why (issue 18, "fair peers").
func (d *doc) peers() {
	d.p("## How peers are configured")
	d.p("")
	d.p("Each peer runs as its own documentation recommends for the driver of the table, and with its defaults where the")
	d.p("documentation asks for nothing. The configurations of earlier reports stay in the tables, in italics, beside the")
	d.p("recommended ones.")
	d.p("")
	d.p("- **GORM**, every table: `SkipDefaultTransaction: true` and `PrepareStmt: true`, the two settings of GORM's")
	d.p("  \"Performance\" page (gorm.io/docs/performance.html); both are off by default. Without the first, GORM wraps each")
	d.p("  single write in a transaction of its own, which no other entrant does; with the second it prepares each distinct")
	d.p("  statement once and reuses it. On PostgreSQL GORM sends bind parameters, so pgx's default statement cache suits it;")
	d.p("  the driver's `PreferSimpleProtocol` (off by default) appears in GORM's \"Connecting to a Database\" page and the")
	d.p("  gorm.io/driver/postgres README as the switch that disables implicit prepared statements, not as a speed")
	d.p("  recommendation, and stays off. The Performance page also points MySQL users to go-sql-driver's `interpolateParams`")
	d.p("  to save round trips; it is a DSN setting of the pool every entrant shares, and `PrepareStmt` already saves that")
	d.p("  round trip for GORM, so it is not set. GORM runs on the shared pool through `Conn`, logger off. _gorm-noprep_ is the")
	d.p("  configuration of earlier reports: `SkipDefaultTransaction` only.")
	d.p("- **Bun on pgx**: a pool of its own, `stdlib.OpenDB` of a `pgx.ConnConfig` parsed from the same DSN (search_path,")
	d.p("  synchronous_commit) with `DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol`, and database/sql's default pool")
	d.p("  settings like the shared pool, as the \"pgx\" section of Bun's PostgreSQL guide (bun.uptrace.dev/postgres) says:")
	d.p("  Bun formats values into the SQL text and gains nothing from prepared statements. On the shared pool")
	d.p("  (_bun-shared_, the configuration of earlier reports) pgx's default statement cache prepares every distinct text:")
	d.p("  an extra round trip and a server-side statement per new key (one connection held 513 prepared statements after 600")
	d.p("  Bun reads of different keys). Bun's own driver, pgdriver, is not used: this table is about pgx.")
	d.p("- **Bun elsewhere** (lib/pq, MariaDB, SQLite): Bun's docs ask for nothing beyond the dialect, so it runs on the shared")
	d.p("  pool. **sqlx**: `sqlx.NewDb` on the shared pool, nothing to configure. **This ORM** (`session`, `db`): `orm.Open`")
	d.p("  with its defaults; it prepares a statement only when a flush repeats it.")
	d.p("- **Round trips on lib/pq and MariaDB.** A statement with bind arguments takes two round trips on lib/pq (an unnamed")
	d.p("  Parse/Describe, then Bind/Execute) and on go-sql-driver/mysql without `interpolateParams` (prepare, then execute),")
	d.p("  one without arguments or as an already prepared statement. `raw`, `sqlx`, `session` and `db` pay two per statement;")
	d.p("  Bun, whose statements carry no arguments, and GORM, with its prepared statements, pay one. So these two tables do")
	d.p("  tilt, but towards the peers, not towards this ORM: `×raw` compares like with like for `session` and `db` (raw pays")
	d.p("  the same second round trip), while Bun's and GORM's lead over raw there is mostly that round trip, not client")
	d.p("  work. Measured once while preparing this section (load average about 7, best of 4 runs of 0.3 s): raw Read on lib/pq")
	d.p("  took 151 µs with the default DSN and 76 µs with lib/pq's `binary_parameters=yes`, which sends Parse, Bind and Execute")
	d.p("  together. With pgx every entrant takes one round trip per statement (its statement cache prepares a text on its")
	d.p("  first use on a connection), and on SQLite there are none.")
	d.p("")
}

// summary18 checks the targets of issue 18 on PostgreSQL through pgx (the
// unit-of-work ones on MariaDB and SQLite too), with Bun and GORM configured
// as recommended.
func (d *doc) summary18() {
	d.p("## Issue 18 targets (PostgreSQL, pgx, peers configured as recommended)")
	d.p("")
	d.p("| target | measured | result |")
	d.p("|---|---|---|")
	timeLimit := map[string]float64{"Read": 1.05, "Update": 1.05, "ReadSlice": 1.10, "Insert": 1.10, "InsertMulti": 1.10}
	for _, op := range ops {
		raw, ok1 := d.get("CRUD", "pgx", op, "raw")
		s, ok2 := d.get("CRUD", "pgx", op, "session")
		if !ok1 || !ok2 {
			continue
		}
		l := timeLimit[op]
		d.p("| session %s time ≤ %.2f× raw | %s vs %s: %s | %s |", op, l, dur(s.Ns), dur(raw.Ns), ratio(s.Ns, raw.Ns), yesNo(s.Ns <= l*raw.Ns))
	}
	for _, op := range []string{"Insert", "InsertMulti"} {
		bn, ok1 := d.get("CRUD", "pgx", op, "bun")
		s, ok2 := d.get("CRUD", "pgx", op, "session")
		if !ok1 || !ok2 {
			continue
		}
		d.p("| session %s time ≤ Bun | %s vs %s: %s | %s |", op, dur(s.Ns), dur(bn.Ns), ratio(s.Ns, bn.Ns), yesNo(s.Ns <= bn.Ns))
	}
	d.allocTargets(ops, "session", "session", "raw", 1.5)
	d.allocTargets([]string{"Read", "ReadSlice"}, "session", "session", "bun", 0)
	d.allocTargets(ops, "db", "`*DB`", "raw", 1)
	for _, t := range []string{"pgx", "mysql", "sqlite"} {
		// At least 2× faster on PostgreSQL, faster elsewhere.
		factor, what := 1.0, "faster than"
		if t == "pgx" {
			factor, what = 2.0, "≥ 2× faster than"
		}
		for _, sc := range scenarios {
			s, ok := d.get("UoW", t, sc, "session")
			g, okg := d.get("UoW", t, sc, "gorm")
			bn, okb := d.get("UoW", t, sc, "bun")
			if !ok || !okg || !okb {
				continue
			}
			d.p("| %s %s %s GORM and Bun | session %s, GORM %s (%s), Bun %s (%s) | %s |", targetShort(t), sc, what,
				dur(s.Ns), dur(g.Ns), ratio(g.Ns, s.Ns), dur(bn.Ns), ratio(bn.Ns, s.Ns),
				yesNo(factor*s.Ns <= g.Ns && factor*s.Ns <= bn.Ns && s.Ns < g.Ns && s.Ns < bn.Ns))
		}
	}
	if x, ok := d.get("Preload", "postgres", "sqlx"); ok {
		if s, ok := d.get("Preload", "postgres", "session"); ok {
			d.p("| Preload 1,000 × 10 ≤ 1.2× hand-written sqlx | %s vs %s: %s | %s |", dur(s.Ns), dur(x.Ns), ratio(s.Ns, x.Ns), yesNo(s.Ns <= 1.2*x.Ns))
		}
	}
	d.p("")
	d.p("Ratios in the unit-of-work rows are the peer's time over the session's. The same figures for lib/pq, MariaDB")
	d.p("and SQLite, and the peers' earlier configurations, are in the tables below.")
	d.p("")
}

// dialectTarget names the table of a dialect's default driver.
func dialectTarget(dialect string) string {
	if dialect == "postgres" {
		return "pgx"
	}
	return dialect
}

func targetShort(t string) string {
	switch t {
	case "pgx":
		return "PostgreSQL (pgx)"
	case "pq":
		return "PostgreSQL (lib/pq)"
	case "mysql":
		return "MariaDB"
	case "sqlite-go":
		return "SQLite (pure Go)"
	}
	return "SQLite"
}

// preload shows the relationship benchmark: 1,000 parents with their 10
// children each, loaded.
func (d *doc) preload() {
	if _, ok := d.get("Preload", "postgres", "sqlx"); !ok {
		return
	}
	d.p("## Preload of 1,000 parents × 10 children")
	d.p("")
	d.p("`BenchmarkPreload` and `BenchmarkPreloadPeers`: 1,000 parents with their 10,000 children loaded (11,000 objects")
	d.p("per op). `sqlx`: the two queries and the stitching written by hand with sqlx (`Select`, `sqlx.In`, a map).")
	d.p("`session`: `orm.Select[Parent](s).OrderBy(\"id\").Preload(\"Children\").All`. `gorm`: `Preload(\"Children\")`.")
	d.p("`bun`: `Relation(\"Children\")`. Each database through the driver of its first table above (PostgreSQL through")
	d.p("pgx), peers configured as recommended, best of the runs as everywhere. `×sqlx` is the ratio to `sqlx` of the same")
	d.p("database.")
	d.p("")
	d.p("| database | entrant | time/op | ×sqlx | B/op | allocs/op |")
	d.p("|---|---|--:|--:|--:|--:|")
	for _, dl := range dialects {
		x, ok := d.get("Preload", dl, "sqlx")
		if !ok {
			continue
		}
		for _, e := range []struct{ bench, name string }{{"Preload", "sqlx"}, {"Preload", "session"}, {"PreloadPeers", "gorm"}, {"PreloadPeers", "bun"}} {
			s, ok := d.get(e.bench, dl, e.name)
			if !ok {
				continue
			}
			d.p("| %s | %s | %s | %s | %s | %s |", targetShort(dialectTarget(dl)), entrantName(e.name), dur(s.Ns), ratio(s.Ns, x.Ns), bytesOf(s.Bytes), count(s.Allocs))
		}
	}
	d.p("")
}
