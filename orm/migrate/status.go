package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// FileStatus is the state of one migration file (Status).
type FileStatus struct {
	Version int64
	Name    string
	// Applied: every statement of the Up part ran. Partial: some did (a
	// file outside a transaction that failed half way; Up resumes it).
	Applied bool
	Partial bool
	// ChecksumOK reports that the file is the one that was applied;
	// false for an applied file edited since (Up refuses it).
	ChecksumOK bool
	// Missing reports a version recorded as applied whose file is not in
	// the directory.
	Missing   bool
	AppliedAt string
}

// Status lists the migration files of fsys and the applied versions without
// a file, in version order, each applied or pending, with its checksum
// compared with the one recorded when it was applied.
func Status(ctx context.Context, db *orm.DB, fsys fs.FS) ([]FileStatus, error) {
	files, err := readFiles(fsys)
	if err != nil {
		return nil, err
	}
	d := db.Dialect()
	recs := map[int64]record{}
	cat, err := Inspect(ctx, db)
	if err != nil {
		return nil, err
	}
	if cat.Table(VersionTable) != nil {
		if recs, err = readRecords(ctx, d, db.SQL()); err != nil {
			return nil, err
		}
	}
	var out []FileStatus
	for _, f := range files {
		st := FileStatus{Version: f.version, Name: f.name}
		if r, ok := recs[f.version]; ok {
			st.Applied, st.Partial = r.done >= r.total, r.done < r.total
			st.ChecksumOK, st.AppliedAt = r.checksum == f.checksum, r.at
			delete(recs, f.version)
		}
		out = append(out, st)
	}
	for v, r := range recs {
		out = append(out, FileStatus{Version: v, Name: r.name, Applied: r.done >= r.total, Partial: r.done < r.total, Missing: true, AppliedAt: r.at})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Down reverts the last n applied migration files of fsys, latest first,
// each by its Down part, under the migration lock and, where DDL is
// transactional, in a transaction per file with the removal of its record.
// A file that is missing or was edited since it was applied is an error.
func Down(ctx context.Context, db *orm.DB, fsys fs.FS, n int) error {
	files, err := readFiles(fsys)
	if err != nil {
		return err
	}
	byVersion := map[int64]migrationFile{}
	for _, f := range files {
		byVersion[f.version] = f
	}
	d := db.Dialect()
	return withLock(ctx, db, func(conn *sql.Conn) (bool, error) {
		if err := ensureVersionTable(ctx, d, conn); err != nil {
			return true, err
		}
		recs, err := readRecords(ctx, d, conn)
		if err != nil {
			return true, err
		}
		versions := make([]int64, 0, len(recs))
		for v := range recs {
			versions = append(versions, v)
		}
		sort.Slice(versions, func(i, j int) bool { return versions[i] > versions[j] })
		for _, v := range versions[:min(n, len(versions))] {
			f, ok := byVersion[v]
			if !ok {
				return true, fmt.Errorf("orm/migrate: Down: version %d (%s) has no file", v, recs[v].name)
			}
			if recs[v].checksum != f.checksum {
				return true, fmt.Errorf("orm/migrate: Down: %s: %w", f.name, ErrChecksum)
			}
			if clean, err := downFile(ctx, d, conn, f); err != nil {
				return clean, fmt.Errorf("orm/migrate: Down: %s: %w", f.name, err)
			}
		}
		return true, nil
	})
}

func downFile(ctx context.Context, d dialect.Dialect, conn *sql.Conn, f migrationFile) (clean bool, err error) {
	g, err := parseGoose(f.text)
	if err != nil {
		return true, err
	}
	mig := d.Migrator()
	inTx := mig.Begin() != "" && !g.noTx
	if inTx {
		if _, err := conn.ExecContext(ctx, mig.Begin()); err != nil {
			return false, d.ClassifyError(err)
		}
	}
	for _, s := range g.down.stmts {
		if _, err = conn.ExecContext(ctx, s); err != nil {
			err = d.ClassifyError(err)
			break
		}
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "DELETE FROM "+d.Quote(VersionTable)+" WHERE version = "+d.Placeholder(1), f.version)
	}
	return finish(ctx, d, mig, conn, inTx, inTx, err)
}
