package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Model is the 8-column row of the standard ORM benchmarks: table models
// (id, name, title, fax, web, age, "right", counter).
type Model struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	Title   string
	Fax     string
	Web     string
	Age     int
	Right   bool
	Counter int64
}

// TableName names the table.
func (Model) TableName() string { return "models" }

// NewModel returns the values of row id.
func NewModel(id int64) Model {
	s := strconv.FormatInt(id, 10)
	return Model{
		ID:      id,
		Name:    "name " + s,
		Title:   "title",
		Fax:     "fax " + s,
		Web:     "https://example.com/" + s,
		Age:     int(id % 100),
		Right:   id%2 == 0,
		Counter: id,
	}
}

// Quote quotes an identifier the way the dialect does ("postgres", "mysql",
// "sqlite"); "right" is reserved on every one of them.
func Quote(dialect, ident string) string {
	if dialect == "mysql" {
		return "`" + ident + "`"
	}
	return `"` + ident + `"`
}

// Placeholder returns the n-th (1-based) bind placeholder of the dialect.
func Placeholder(dialect string, n int) string {
	if dialect == "postgres" {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// SeedModels inserts rows 1..n of NewModel with hand-written multi-row
// INSERTs of up to 1,000 rows in one transaction, through database/sql only.
func SeedModels(ctx context.Context, db *sql.DB, dialect string, n int) error {
	const cols = 8
	const perStmt = 1000
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for start := 1; start <= n; start += perStmt {
		rows := min(perStmt, n-start+1)
		var b strings.Builder
		b.WriteString("INSERT INTO models (id, name, title, fax, web, age, " + Quote(dialect, "right") + ", counter) VALUES ")
		args := make([]any, 0, rows*cols)
		p := 0
		for i := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteString(", ")
				}
				p++
				b.WriteString(Placeholder(dialect, p))
			}
			b.WriteByte(')')
			m := NewModel(int64(start + i))
			args = append(args, m.ID, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("seed models %d..%d: %w", start, start+rows-1, err)
		}
	}
	return tx.Commit()
}
