package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "github.com/mattn/go-sqlite3"    // registers "sqlite3"

	"github.com/sqlmodel-go/sqlmodel/bench/internal/benchdb"
)

// machine describes the computer, the toolchain and the database servers,
// one Markdown bullet each.
func machine(ctx context.Context, output []byte) []string {
	goVersion := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	if out, err := exec.Command("go", "version").Output(); err == nil {
		goVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	cpu := cpuModel()
	for _, line := range strings.Split(string(output), "\n") {
		if v, ok := strings.CutPrefix(line, "cpu: "); ok {
			cpu = v
			break
		}
	}
	return []string{
		fmt.Sprintf("%d CPUs (%s), GOMAXPROCS %d; a VM shared with other work", runtime.NumCPU(), cpu, runtime.GOMAXPROCS(0)),
		"Go: " + goVersion,
		"PostgreSQL: " + serverVersion(ctx, "pgx", env("SQLMODEL_POSTGRES_DSN", benchdb.DefaultPostgresDSN), "SHOW server_version"),
		"MySQL/MariaDB: " + serverVersion(ctx, "mysql", env("SQLMODEL_MYSQL_DSN", benchdb.DefaultMySQLDSN), "SELECT VERSION()") +
			", innodb_flush_log_at_trx_commit = " + serverVersion(ctx, "mysql", env("SQLMODEL_MYSQL_DSN", benchdb.DefaultMySQLDSN), "SELECT @@innodb_flush_log_at_trx_commit"),
		"SQLite: " + serverVersion(ctx, "sqlite3", "file::memory:", "SELECT sqlite_version()"),
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func serverVersion(ctx context.Context, driver, dsn, q string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return "unreachable (" + err.Error() + ")"
	}
	return v
}
