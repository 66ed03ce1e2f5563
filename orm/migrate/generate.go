package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// ErrNoChanges is returned by Generate when the database already has the
// models' shape.
var ErrNoChanges = errors.New("orm/migrate: no changes")

var fileName = regexp.MustCompile(`^[a-z0-9_]+$`)

// Generate writes the changes Plan finds as a versioned migration file in
// goose's format, dir/VERSION_name.sql (VERSION is the UTC time,
// yyyymmddhhmmss, later than every file already in dir), and returns its
// path. The Up part holds Plan's statements, destructive ones included:
// review the file. The Down part reverses what can be reversed without the
// old data (created tables and indexes, added columns and foreign keys,
// renames); the changes it cannot reverse are listed there as comments for
// the author to complete. name is lower case letters, digits and
// underscores.
// GenerateWith takes options (RenamedTable).
func Generate(ctx context.Context, db *orm.DB, dir, name string, models ...any) (string, error) {
	return GenerateWith(ctx, db, dir, name, nil, models...)
}

// GenerateWith is Generate with options, as PlanWith.
func GenerateWith(ctx context.Context, db *orm.DB, dir, name string, opts []Option, models ...any) (string, error) {
	if !fileName.MatchString(name) {
		return "", fmt.Errorf("orm/migrate: Generate: name %q: use lower case letters, digits and _", name)
	}
	ch, err := PlanWith(ctx, db, opts, models...)
	if err != nil {
		return "", err
	}
	if ch.Empty() {
		return "", ErrNoChanges
	}
	version, err := nextVersion(dir, time.Now().UTC())
	if err != nil {
		return "", err
	}
	down, notes := reverse(db.Dialect(), ch)
	path := filepath.Join(dir, strconv.FormatInt(version, 10)+"_"+name+".sql")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("orm/migrate: Generate: %w", err)
	}
	_, err = f.WriteString(formatGoose(ch.Statements(), down, notes))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("orm/migrate: Generate: %w", err)
	}
	return path, nil
}

// nextVersion is now as yyyymmddhhmmss, or one more than the latest
// version of dir when that is not earlier.
func nextVersion(dir string, now time.Time) (int64, error) {
	v, _ := strconv.ParseInt(now.Format("20060102150405"), 10, 64)
	files, err := readFiles(os.DirFS(dir))
	if err != nil {
		return 0, err
	}
	if n := len(files); n > 0 && files[n-1].version >= v {
		v = files[n-1].version + 1
	}
	return v, nil
}

// reverse returns the statements undoing ch, last change first, and notes
// naming the changes it cannot undo.
func reverse(d dialect.Dialect, ch *Changes) (down, notes []string) {
	mig := d.Migrator()
	changes := ch.ordered()
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		s := ""
		switch c.Kind {
		case CreateTable:
			s = "DROP TABLE " + d.Quote(c.Table)
		case AddColumn:
			s = "ALTER TABLE " + d.Quote(c.Table) + " DROP COLUMN " + d.Quote(c.Name)
		case CreateIndex:
			s = mig.DropIndex(c.Table, c.Name)
		case AddForeignKey:
			s = mig.DropForeignKey(c.Table, c.Name)
		case RenameTable:
			s = renameTableSQL(d, c.Table, c.from)
		case RenameColumn:
			s = "ALTER TABLE " + d.Quote(c.Table) + " RENAME COLUMN " + d.Quote(c.Name) + " TO " + d.Quote(c.from)
		}
		if s == "" {
			notes = append(notes, "not reversed: "+c.String())
			continue
		}
		down = append(down, s)
	}
	return down, notes
}
