package dialect

import (
	"fmt"
	"strings"
)

// Conflict describes what an INSERT does with a row whose key is already
// taken: nothing (DoNothing), or update some columns from the proposed row.
type Conflict struct {
	// Target lists the columns of the unique constraint or primary key
	// the conflict is about. PostgreSQL and SQLite need it for DO UPDATE;
	// MySQL and MariaDB ignore it (ON DUPLICATE KEY fires on any unique
	// key) but DoNothing uses its first column as the no-op assignment.
	Target []string
	// DoNothing keeps the existing row.
	DoNothing bool
	// Update lists the columns set from the proposed row.
	Update []string
	// Increment names a version column raised by one on update, or "".
	Increment string
	// Keep names the column MySQL and MariaDB assign to itself for
	// DoNothing when Target is empty, so that a conflict on any unique
	// key is ignored on every database (PostgreSQL and SQLite write
	// ON CONFLICT DO NOTHING without a target, and ignore Keep).
	Keep string
}

// OnConflict returns the clause that follows the VALUES of an INSERT into
// table for d, starting with a space. Identifiers are quoted by d.
func OnConflict(d Dialect, table string, c Conflict) (string, error) {
	if !c.DoNothing && len(c.Update) == 0 && c.Increment == "" {
		return "", fmt.Errorf("orm/dialect: ON CONFLICT: no columns to update")
	}
	var b strings.Builder
	switch d.Name() {
	case "postgres", "sqlite":
		b.WriteString(" ON CONFLICT")
		if len(c.Target) > 0 {
			b.WriteString(" (")
			for i, col := range c.Target {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(d.Quote(col))
			}
			b.WriteString(")")
		} else if !c.DoNothing {
			return "", fmt.Errorf("orm/dialect: ON CONFLICT DO UPDATE needs conflict columns on %s", d.Name())
		}
		if c.DoNothing {
			b.WriteString(" DO NOTHING")
			return b.String(), nil
		}
		b.WriteString(" DO UPDATE SET ")
		for i, col := range c.Update {
			if i > 0 {
				b.WriteString(", ")
			}
			q := d.Quote(col)
			b.WriteString(q + " = excluded." + q)
		}
		if c.Increment != "" {
			if len(c.Update) > 0 {
				b.WriteString(", ")
			}
			q := d.Quote(c.Increment)
			b.WriteString(q + " = " + d.Quote(table) + "." + q + " + 1")
		}
	case "mysql":
		b.WriteString(" ON DUPLICATE KEY UPDATE ")
		if c.DoNothing {
			keep := c.Keep
			if len(c.Target) > 0 {
				keep = c.Target[0]
			}
			if keep == "" {
				return "", fmt.Errorf("orm/dialect: ON DUPLICATE KEY UPDATE needs a key column to keep")
			}
			// Assigning a column to itself changes nothing; unlike
			// INSERT IGNORE it does not turn other errors (foreign
			// keys, NOT NULL, truncation) into warnings.
			q := d.Quote(keep)
			b.WriteString(q + " = " + q)
			return b.String(), nil
		}
		// The version goes first: MySQL evaluates assignments left to
		// right, and its test must see the row's old values.
		n := 0
		if c.Increment != "" {
			q := d.Quote(c.Increment)
			b.WriteString(q + " = " + q + " + 1")
			n++
		}
		for _, col := range c.Update {
			if n > 0 {
				b.WriteString(", ")
			}
			q := d.Quote(col)
			b.WriteString(q + " = VALUES(" + q + ")")
			n++
		}
	default:
		return "", fmt.Errorf("%w: upsert on %s", ErrUnsupported, d.Name())
	}
	return b.String(), nil
}
