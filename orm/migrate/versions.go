package migrate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// VersionTable records the migration files applied: version, file name,
// checksum, statements done of the file's total (a file that stopped half
// way outside a transaction resumes there) and when it was applied. Plan
// never proposes to drop it.
const VersionTable = "sqlmodel_migrations"

// ErrChecksum is matched by the error of Up, Status-based checks and Down
// when an applied file was edited afterwards.
var ErrChecksum = errors.New("orm/migrate: an applied migration file was edited")

// migrationFile is one VERSION_name.sql file.
type migrationFile struct {
	version  int64
	name     string
	checksum string
	text     string
}

// readFiles lists the *.sql files at the root of fsys named VERSION_*.sql,
// in version order; two files of one version are an error.
func readFiles(fsys fs.FS) ([]migrationFile, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("orm/migrate: %w", err)
	}
	var out []migrationFile
	seen := map[int64]string{}
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") || !ok || err != nil {
			continue
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("orm/migrate: files %s and %s have one version", other, e.Name())
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("orm/migrate: %w", err)
		}
		sum := sha256.Sum256(b)
		out = append(out, migrationFile{version: v, name: e.Name(), checksum: hex.EncodeToString(sum[:]), text: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// record is a row of VersionTable.
type record struct {
	name, checksum, at string
	done, total        int
}

func ensureVersionTable(ctx context.Context, d dialect.Dialect, q dialect.Querier) error {
	_, err := q.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+d.Quote(VersionTable)+` (
  version BIGINT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  checksum VARCHAR(64) NOT NULL,
  done INTEGER NOT NULL,
  total INTEGER NOT NULL,
  applied_at VARCHAR(40) NOT NULL
)`)
	if err != nil {
		return fmt.Errorf("orm/migrate: %s: %w", VersionTable, d.ClassifyError(err))
	}
	return nil
}

func readRecords(ctx context.Context, d dialect.Dialect, q dialect.Querier) (map[int64]record, error) {
	rows, err := q.QueryContext(ctx, "SELECT version, name, checksum, done, total, applied_at FROM "+d.Quote(VersionTable))
	if err != nil {
		return nil, fmt.Errorf("orm/migrate: %s: %w", VersionTable, d.ClassifyError(err))
	}
	defer rows.Close()
	out := map[int64]record{}
	for rows.Next() {
		var v int64
		var r record
		if err := rows.Scan(&v, &r.name, &r.checksum, &r.done, &r.total, &r.at); err != nil {
			return nil, fmt.Errorf("orm/migrate: %w", err)
		}
		out[v] = r
	}
	return out, rows.Err()
}

// Up applies the migration files of fsys (VERSION_name.sql at its root, in
// goose's format) that are not applied yet, in version order, under the
// migration lock, and returns the names of those it applied. Each file runs
// in a transaction of its own where DDL is transactional, unless it says
// -- +goose NO TRANSACTION; elsewhere each statement's progress is recorded,
// so that after a failure the next Up resumes at the failed statement. An
// applied file that was edited is an error matching ErrChecksum.
func Up(ctx context.Context, db *orm.DB, fsys fs.FS) ([]string, error) {
	files, err := readFiles(fsys)
	if err != nil {
		return nil, err
	}
	d := db.Dialect()
	var applied []string
	err = withLock(ctx, db, func(conn *sql.Conn) (bool, error) {
		if err := ensureVersionTable(ctx, d, conn); err != nil {
			return true, err
		}
		for _, f := range files {
			ran, clean, err := upFile(ctx, d, conn, f)
			if ran {
				applied = append(applied, f.name)
			}
			if err != nil {
				return clean, fmt.Errorf("orm/migrate: %s: %w", f.name, err)
			}
		}
		return true, nil
	})
	return applied, err
}

// upFile applies one file unless it is applied; ran reports that it was.
func upFile(ctx context.Context, d dialect.Dialect, conn *sql.Conn, f migrationFile) (ran, clean bool, err error) {
	g, err := parseGoose(f.text)
	if err != nil {
		return false, true, err
	}
	mig := d.Migrator()
	inTx := mig.Begin() != "" && !g.noTx
	if inTx {
		if _, err := conn.ExecContext(ctx, mig.Begin()); err != nil {
			return false, false, d.ClassifyError(err)
		}
	}
	ran, err = runUp(ctx, d, conn, f, g, inTx)
	if !inTx {
		return ran, ctx.Err() == nil, err
	}
	if err == nil && ran {
		err = mig.CheckForeignKeys(ctx, conn)
	}
	if err != nil {
		_, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return false, rerr == nil, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return false, false, d.ClassifyError(err)
	}
	return ran, true, nil
}

// runUp reads the file's record (inside the file's transaction, so that a
// concurrent Up sees it applied) and runs the statements not done yet.
func runUp(ctx context.Context, d dialect.Dialect, conn *sql.Conn, f migrationFile, g *gooseFile, inTx bool) (bool, error) {
	recs, err := readRecords(ctx, d, conn)
	if err != nil {
		return false, err
	}
	r, seen := recs[f.version]
	if seen && r.checksum != f.checksum {
		return false, fmt.Errorf("%w: checksum %s when applied, %s now", ErrChecksum, r.checksum, f.checksum)
	}
	if seen && r.done >= r.total {
		return false, nil
	}
	ph := func(n int) string { return d.Placeholder(n) }
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if !seen {
		_, err = conn.ExecContext(ctx, "INSERT INTO "+d.Quote(VersionTable)+" (version, name, checksum, done, total, applied_at) VALUES ("+
			ph(1)+", "+ph(2)+", "+ph(3)+", 0, "+ph(4)+", "+ph(5)+")", f.version, f.name, f.checksum, len(g.up.stmts), now)
		if err != nil {
			return false, d.ClassifyError(err)
		}
	}
	setDone := "UPDATE " + d.Quote(VersionTable) + " SET done = " + ph(1) + ", applied_at = " + ph(2) + " WHERE version = " + ph(3)
	for i := r.done; i < len(g.up.stmts); i++ {
		if _, err := conn.ExecContext(ctx, g.up.stmts[i]); err != nil {
			return false, fmt.Errorf("statement %d: %w", i+1, d.ClassifyError(err))
		}
		if !inTx || i == len(g.up.stmts)-1 {
			if _, err := conn.ExecContext(ctx, setDone, i+1, now, f.version); err != nil {
				return false, d.ClassifyError(err)
			}
		}
	}
	return true, nil
}
