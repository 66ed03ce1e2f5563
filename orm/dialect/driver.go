package dialect

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Driver is what the ORM knows of one database/sql driver: the dialect of
// its databases, how to adjust its DSNs, how to read its errors and which
// bulk paths it offers. The packages under orm/driver each register one
// (or two) in their init function, so that a program links only the
// drivers it imports:
//
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"
//
// Fields other than Name and Dialect are optional.
type Driver struct {
	// Name is the database/sql driver name users pass to orm.Open
	// ("pgx", "postgres", "mysql", "sqlite3", "sqlite").
	Name string
	// Aliases are other names orm.Open accepts for this driver ("pgx/v5").
	Aliases []string
	// Dialect is the dialect of the driver's databases.
	Dialect Dialect
	// PoolName is the database/sql driver name pools are opened with when
	// it differs from Name (mattn's "sqlite3" opens "sqlite3_sqlmodel",
	// whose connections have the ORM's SQL functions), and PoolDialect the
	// dialect of such pools (nil: Dialect).
	PoolName    string
	PoolDialect Dialect
	// Owns reports whether a pool's driver.Driver is this driver, for
	// orm.OpenDB on a pool the user opened; nil matches nothing.
	Owns func(driver.Driver) bool
	// AdjustDSN adds the settings the ORM depends on to a DSN, unless the
	// DSN sets them, and reports whether it names an in-memory database;
	// nil leaves DSNs unchanged.
	AdjustDSN func(dsn string) (string, InMemory, error)
	// Classify recognises the driver's own errors (see Classify) and
	// returns the classified error wrapping err, or false.
	Classify func(err error) (error, bool)
	// ConnectionLost reports the driver's own forms of a broken
	// connection, beyond those every driver shares (driver.ErrBadConn,
	// io.EOF, network errors).
	ConnectionLost func(err error) bool
	// ErrorCode returns the database's code of one of the driver's errors
	// (SQLSTATE, MySQL error number, SQLite extended result code), or ""
	// when err is not one; see ErrorCode.
	ErrorCode func(err error) string
	// SentNothing reports whether the driver says that the call which
	// failed with err sent nothing to the server (see SentNothing).
	SentNothing func(err error) bool
	// Bulk is the driver's fast path for bulk loads and pipelined
	// flushes; nil when it has none.
	Bulk BulkDriver
}

// BulkDriver is implemented by drivers that stream rows with COPY or send
// several statements in one round trip. The conn arguments are driver
// connections, as sql.Conn.Raw gives them.
type BulkDriver interface {
	// CopyMode tells how the driver runs COPY FROM STDIN.
	CopyMode() CopyMode
	// CopyFrom streams the rows of src into table's columns on the driver
	// connection conn (CopyOnConn drivers) and returns the rows copied.
	CopyFrom(ctx context.Context, conn any, table string, columns []string, src CopySource) (int64, error)
	// CanPipeline reports whether conn is a connection Pipeline accepts.
	CanPipeline(conn any) bool
	// Pipeline sends stmts as one round trip inside the open transaction
	// of conn and returns each statement's rows affected (or rows read)
	// and error: ErrNotRun for the statements the database skipped after
	// an earlier failure, and sql.ErrTxDone for the first when conn has
	// no open transaction.
	Pipeline(ctx context.Context, conn any, stmts []PipelinedStatement) ([]int64, []error)
}

// CopyMode is how a driver runs PostgreSQL's COPY FROM STDIN.
type CopyMode uint8

// Copy modes.
const (
	// NoCopy: the driver has no COPY.
	NoCopy CopyMode = iota
	// CopyOnConn: BulkDriver.CopyFrom on a connection of its own (pgx).
	CopyOnConn
	// CopyInTx: a "COPY … FROM STDIN" statement prepared on a transaction
	// takes one Exec per row and an empty Exec at the end (lib/pq).
	CopyInTx
)

// CopySource feeds rows to BulkDriver.CopyFrom one at a time: Next moves
// to the next row and reports whether there is one, Values returns it
// (the slice may be reused by the next call), Err the error that ended
// the rows early.
type CopySource interface {
	Next() bool
	Values() ([]any, error)
	Err() error
}

// PipelinedStatement is one statement of BulkDriver.Pipeline. Row, when
// set, is called with the Scan of each row the statement returns; the
// statement's count is then the number of rows read.
type PipelinedStatement struct {
	Query string
	Args  []any
	Row   func(scan func(...any) error) error
}

// ErrNotRun is the error of a pipelined statement that the database
// skipped because an earlier statement of the pipeline failed.
var ErrNotRun = errors.New("orm: not run: an earlier statement of the pipeline failed")

var drivers = struct {
	sync.RWMutex
	byName map[string]*Driver
	all    []*Driver
}{byName: map[string]*Driver{}}

// RegisterDriver makes d known under its Name and Aliases. It panics when
// d has no Name or Dialect or a name is taken by another driver, like
// sql.Register: registration happens in init functions, where a
// conflict is a programming error.
func RegisterDriver(d *Driver) {
	if d == nil || d.Name == "" || d.Dialect == nil {
		panic("orm/dialect: RegisterDriver needs a Name and a Dialect")
	}
	drivers.Lock()
	defer drivers.Unlock()
	for _, name := range append([]string{d.Name}, d.Aliases...) {
		if old, ok := drivers.byName[name]; ok && old != d {
			panic(fmt.Sprintf("orm/dialect: driver %q registered twice", name))
		}
		drivers.byName[name] = d
	}
	drivers.all = append(drivers.all, d)
}

// LookupDriver returns the registered driver of a database/sql driver name
// or one of its aliases. The error matches ErrInvalidArgument and lists
// the registered names and the package that registers the one asked for.
func LookupDriver(name string) (*Driver, error) {
	drivers.RLock()
	d, ok := drivers.byName[name]
	drivers.RUnlock()
	if ok {
		return d, nil
	}
	msg := fmt.Sprintf("unknown driver %q", name)
	if pkg := driverPackage(name); pkg != "" {
		msg += fmt.Sprintf(": add import _ %q", pkg)
	}
	if names := DriverNames(); len(names) > 0 {
		msg += " (registered: " + strings.Join(names, ", ") + ")"
	} else {
		msg += " (no driver is registered: import one of the packages under github.com/sqlmodel-go/sqlmodel/orm/driver)"
	}
	return nil, fmt.Errorf("%w: %s", ErrInvalidArgument, msg)
}

// DriverNames returns the registered driver names and aliases, sorted.
func DriverNames() []string {
	drivers.RLock()
	defer drivers.RUnlock()
	names := make([]string, 0, len(drivers.byName))
	for n := range drivers.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DriverOfPool returns the registered driver that owns drv (see
// Driver.Owns), or nil.
func DriverOfPool(drv driver.Driver) *Driver {
	drivers.RLock()
	defer drivers.RUnlock()
	for _, d := range drivers.all {
		if d.Owns != nil && d.Owns(drv) {
			return d
		}
	}
	return nil
}

// registered returns the registered drivers, in the order of registration.
// It runs on every classified error, so it does not copy: drivers.all is
// only appended to, and the returned slice is capped at its length, so a
// later registration never changes what a caller sees.
func registered() []*Driver {
	drivers.RLock()
	defer drivers.RUnlock()
	return drivers.all[:len(drivers.all):len(drivers.all)]
}

// driverPackage is the package under orm/driver that registers name.
func driverPackage(name string) string {
	const base = "github.com/sqlmodel-go/sqlmodel/orm/driver/"
	switch name {
	case "pgx", "pgx/v5":
		return base + "pgx"
	case "postgres", "postgresql":
		return base + "pq"
	case "mysql", "mariadb":
		return base + "mysql"
	case "sqlite3":
		return base + "sqlite3"
	case "sqlite":
		return base + "sqlite"
	}
	return ""
}

// OpenName returns the database/sql driver name to open pools of d with.
func (d *Driver) OpenName() string {
	if d.PoolName != "" {
		return d.PoolName
	}
	return d.Name
}

// OpenDialect returns the dialect of pools opened with OpenName.
func (d *Driver) OpenDialect() Dialect {
	if d.PoolDialect != nil {
		return d.PoolDialect
	}
	return d.Dialect
}

// Adjust applies AdjustDSN, or returns dsn unchanged when it is nil.
func (d *Driver) Adjust(dsn string) (string, InMemory, error) {
	if d.AdjustDSN == nil {
		return dsn, NotInMemory, nil
	}
	return d.AdjustDSN(dsn)
}

// ErrorCode returns the database's own code of err, as a string: the Code of
// a *ConstraintError or *RetryableError in its chain, else the code a
// registered driver reads from its own error (PostgreSQL's SQLSTATE, the
// MySQL error number, SQLite's extended result code); "" when err carries
// none. Tracing reports it as db.response.status_code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var ce *ConstraintError
	if errors.As(err, &ce) && ce.Code != "" {
		return ce.Code
	}
	var re *RetryableError
	if errors.As(err, &re) && re.Code != "" {
		return re.Code
	}
	for _, d := range registered() {
		if d.ErrorCode == nil {
			continue
		}
		if code := d.ErrorCode(err); code != "" {
			return code
		}
	}
	return ""
}
