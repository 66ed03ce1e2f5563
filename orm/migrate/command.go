package migrate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Environment variables the migrate command reads when its -dsn and
// -driver flags are not given.
const (
	// EnvDSN names the variable holding the database's DSN.
	EnvDSN = "DATABASE_URL"
	// EnvDriver names the variable holding the database/sql driver name
	// ("pgx", "postgres", "mysql", "sqlite3").
	EnvDriver = "SQLMODEL_MIGRATE_DRIVER"
)

// ErrUsage is returned by Run for a command line it cannot run: no or an
// unknown command, a bad flag, a missing or extra argument. The usage has
// been written to stderr.
var ErrUsage = errors.New("orm/migrate: usage")

// ErrPending is returned by Run's diff command with -exit-code when the
// database differs from the models.
var ErrPending = errors.New("orm/migrate: the database differs from the models")

// command is one subcommand of Run.
type command struct {
	name, args, summary string
	run                 func(c *cmdRun, args []string) error
}

// cmdRun is one invocation of Run.
type cmdRun struct {
	ctx            context.Context
	stdout, stderr io.Writer
	models         []any
}

var commands []command

func init() {
	// Assigned here: help refers to the list.
	commands = []command{
		{"diff", "[-exit-code]", "print the statements that would give the database the models' shape", cmdDiff},
		{"generate", "NAME", "write those statements as a versioned migration file in -dir", cmdGenerate},
		{"up", "", "apply the migration files of -dir not applied yet", cmdUp},
		{"down", "[N]", "revert the last N applied migration files (default 1)", cmdDown},
		{"status", "", "list the migration files of -dir: applied or pending, checksum", cmdStatus},
		{"schema", "-dialect D", "print the models' CREATE statements for dialect D, without a database", cmdSchema},
		{"help", "[COMMAND]", "print this help, or a command's flags", cmdHelp},
	}
}

// Main is the body of an application's migrate command (cmd/migrate/main.go):
//
//	func main() { migrate.Main(&models.Team{}, &models.Hero{}) }
//
// It runs Run with the program's arguments, standard output and standard
// error, cancelled by an interrupt, and exits: 0 on success, 2 for a command
// line it cannot run (ErrUsage), 1 for any other error (and for diff
// -exit-code finding changes), after writing the error to standard error.
// The models stand for the whole schema, as for Plan.
func Main(models ...any) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr, models...)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode writes err, if any, to w and returns the exit status for it.
func exitCode(err error, w io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(w, "migrate:", err)
	if errors.Is(err, ErrUsage) {
		return 2
	}
	return 1
}

// Run runs the migrate command line args (without the program name) for the
// models, writing results to stdout and usage and progress to stderr. The
// commands are diff, generate NAME, up, down [N], status, schema -dialect D
// and help; each takes its flags after its name (docs/migrations.md, "The
// migrate command"). The commands that need a database open it with
// orm.Open from -driver and -dsn, by default from the environment variables
// named by EnvDriver and EnvDSN (a postgres:// or postgresql:// DSN needs no
// driver: pgx is used); schema needs none.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, models ...any) error {
	c := &cmdRun{ctx: ctx, stdout: stdout, stderr: stderr, models: models}
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("%w: no command", ErrUsage)
	}
	for _, cmd := range commands {
		if cmd.name == args[0] {
			return cmd.run(c, args[1:])
		}
	}
	usage(stderr)
	return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
}

// usage writes the list of commands to w.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: migrate COMMAND [flags] [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-22s %s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	}
	fmt.Fprintf(w, "\nThe database commands read -driver and -dsn, by default $%s and $%s.\n", EnvDriver, EnvDSN)
	fmt.Fprintln(w, "Run 'migrate help COMMAND' for a command's flags.")
}

// flags is the parsed command line of one command.
type flags struct {
	fs               *flag.FlagSet
	cmd              command
	dsn, driver, dir *string
}

// newFlags returns the flag set of the command named name; db adds -dsn and
// -driver, dir adds -dir.
func (c *cmdRun) newFlags(name string, db, dir bool) *flags {
	f := &flags{fs: flag.NewFlagSet("migrate "+name, flag.ContinueOnError)}
	for _, cmd := range commands {
		if cmd.name == name {
			f.cmd = cmd
		}
	}
	f.fs.SetOutput(c.stderr)
	f.fs.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: migrate %s\n  %s\n", strings.TrimSpace(name+" [flags] "+f.cmd.args), f.cmd.summary)
		f.fs.PrintDefaults()
	}
	if db {
		f.dsn = f.fs.String("dsn", "", "the database's DSN (default $"+EnvDSN+")")
		f.driver = f.fs.String("driver", "", "the database/sql driver: pgx, postgres, mysql, sqlite3 (default $"+EnvDriver+")")
	}
	if dir {
		f.dir = f.fs.String("dir", "migrations", "the directory of the migration files")
	}
	return f
}

// parse parses args and checks that between min and max positional
// arguments remain. A help request (-h) returns flag.ErrHelp.
func (f *flags) parse(args []string, min, max int) error {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %s: %v", ErrUsage, f.cmd.name, err)
	}
	if n := f.fs.NArg(); n < min || n > max {
		f.fs.Usage()
		if n < min {
			return fmt.Errorf("%w: %s: missing argument %s", ErrUsage, f.cmd.name, f.cmd.args)
		}
		return fmt.Errorf("%w: %s: unexpected argument %q", ErrUsage, f.cmd.name, f.fs.Arg(max))
	}
	return nil
}

// open opens the database named by the flags or the environment.
func (f *flags) open() (*orm.DB, error) {
	dsn, driver := *f.dsn, *f.driver
	if dsn == "" {
		dsn = os.Getenv(EnvDSN)
	}
	if driver == "" {
		driver = os.Getenv(EnvDriver)
	}
	if dsn == "" {
		return nil, fmt.Errorf("%w: %s: no database: give -dsn or set %s", ErrUsage, f.cmd.name, EnvDSN)
	}
	if driver == "" && (strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")) {
		driver = "pgx"
	}
	if driver == "" {
		return nil, fmt.Errorf("%w: %s: no driver: give -driver or set %s", ErrUsage, f.cmd.name, EnvDriver)
	}
	return orm.Open(driver, dsn)
}

// withDB parses args, opens the database and runs fn with it.
func (c *cmdRun) withDB(f *flags, args []string, min, max int, fn func(db *orm.DB) error) error {
	if err := f.parse(args, min, max); err != nil {
		return helpIsNoError(err)
	}
	return f.withOpen(fn)
}

// withOpen opens the database and runs fn with it.
func (f *flags) withOpen(fn func(db *orm.DB) error) error {
	db, err := f.open()
	if err != nil {
		return err
	}
	err = fn(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// helpIsNoError maps flag.ErrHelp (the usage was asked for, and written) to
// nil.
func helpIsNoError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func cmdDiff(c *cmdRun, args []string) error {
	f := c.newFlags("diff", true, false)
	exit := f.fs.Bool("exit-code", false, "fail (exit status 1) when there are changes")
	return c.withDB(f, args, 0, 0, func(db *orm.DB) error {
		ch, err := Plan(c.ctx, db, c.models...)
		if err != nil {
			return err
		}
		writeDiff(c.stdout, ch)
		if *exit && !ch.Empty() {
			return fmt.Errorf("%w: %d changes", ErrPending, len(ch.list))
		}
		return nil
	})
}

// writeDiff writes each change of ch, in the order its statements run, as
// a comment line (marked DESTRUCTIVE where it is) followed by its
// statements, each ended by ";".
func writeDiff(w io.Writer, ch *Changes) {
	if ch.Empty() {
		fmt.Fprintln(w, "-- no changes: the database has the models' shape")
		return
	}
	fmt.Fprintf(w, "-- %d changes, %d destructive\n", len(ch.list), len(ch.Destructive()))
	for _, c := range ch.ordered() {
		mark := "--"
		if c.Destructive {
			mark = "-- DESTRUCTIVE:"
		}
		fmt.Fprintln(w, mark, c.String())
		for _, s := range c.stmts {
			fmt.Fprintln(w, s+";")
		}
	}
}

func cmdGenerate(c *cmdRun, args []string) error {
	f := c.newFlags("generate", true, true)
	return c.withDB(f, args, 1, 1, func(db *orm.DB) error {
		if err := os.MkdirAll(*f.dir, 0o755); err != nil {
			return fmt.Errorf("orm/migrate: generate: %w", err)
		}
		path, err := Generate(c.ctx, db, *f.dir, f.fs.Arg(0), c.models...)
		if errors.Is(err, ErrNoChanges) {
			fmt.Fprintln(c.stdout, "no changes: nothing generated")
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, path)
		return nil
	})
}

func cmdUp(c *cmdRun, args []string) error {
	f := c.newFlags("up", true, true)
	return c.withDB(f, args, 0, 0, func(db *orm.DB) error {
		applied, err := Up(c.ctx, db, os.DirFS(*f.dir))
		for _, name := range applied {
			fmt.Fprintln(c.stdout, "applied", name)
		}
		if err == nil && len(applied) == 0 {
			fmt.Fprintln(c.stdout, "nothing to apply")
		}
		return err
	})
}

func cmdDown(c *cmdRun, args []string) error {
	f := c.newFlags("down", true, true)
	if err := f.parse(args, 0, 1); err != nil {
		return helpIsNoError(err)
	}
	n := 1
	if f.fs.NArg() == 1 {
		v, err := strconv.Atoi(f.fs.Arg(0))
		if err != nil || v < 1 {
			f.fs.Usage()
			return fmt.Errorf("%w: down: N is a positive number, not %q", ErrUsage, f.fs.Arg(0))
		}
		n = v
	}
	return f.withOpen(func(db *orm.DB) error {
		fsys := os.DirFS(*f.dir)
		before, err := Status(c.ctx, db, fsys)
		if err != nil {
			return err
		}
		if err := Down(c.ctx, db, fsys, n); err != nil {
			return err
		}
		reverted := 0
		for i := len(before) - 1; i >= 0 && reverted < n; i-- {
			if before[i].Applied || before[i].Partial {
				fmt.Fprintln(c.stdout, "reverted", before[i].Name)
				reverted++
			}
		}
		if reverted == 0 {
			fmt.Fprintln(c.stdout, "nothing to revert")
		}
		return nil
	})
}

func cmdStatus(c *cmdRun, args []string) error {
	f := c.newFlags("status", true, true)
	return c.withDB(f, args, 0, 0, func(db *orm.DB) error {
		st, err := Status(c.ctx, db, os.DirFS(*f.dir))
		if err != nil {
			return err
		}
		if len(st) == 0 {
			fmt.Fprintln(c.stdout, "no migration files in", *f.dir)
		}
		for _, s := range st {
			fmt.Fprintln(c.stdout, statusLine(s))
		}
		return nil
	})
}

// statusLine describes one file of Status: version, file name, state
// (applied, partial, pending, or missing when the file is gone) and
// checksum (ok, changed, or - when nothing was applied to compare with).
func statusLine(s FileStatus) string {
	state, sum := "pending", "-"
	switch {
	case s.Missing:
		state = "missing"
	case s.Applied:
		state = "applied"
	case s.Partial:
		state = "partial"
	}
	if (s.Applied || s.Partial) && !s.Missing {
		sum = "checksum ok"
		if !s.ChecksumOK {
			sum = "checksum changed"
		}
	}
	return fmt.Sprintf("%d  %s  %s  %s", s.Version, s.Name, state, sum)
}

func cmdSchema(c *cmdRun, args []string) error {
	f := c.newFlags("schema", false, false)
	name := f.fs.String("dialect", "", "the dialect: postgres, mysql, mariadb or sqlite (required)")
	if err := f.parse(args, 0, 0); err != nil {
		return helpIsNoError(err)
	}
	if *name == "" {
		f.fs.Usage()
		return fmt.Errorf("%w: schema: -dialect is required", ErrUsage)
	}
	d, err := dialect.ForDriver(*name)
	if err != nil {
		f.fs.Usage()
		return fmt.Errorf("%w: schema: unknown dialect %q (want postgres, mysql, mariadb or sqlite)", ErrUsage, *name)
	}
	stmts, err := SchemaStatements(d, c.models...)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		fmt.Fprintln(c.stdout, s+";")
	}
	return nil
}

// SchemaStatements returns the statements that create the models' tables
// on an empty database of dialect d, with no database at hand: the CREATE
// TABLE statements CreateAll runs, in foreign-key order, then the indexes,
// then the foreign keys that close a cycle. The models are registered in a
// registry of their own; the same models give the same statements, byte for
// byte, on every run.
func SchemaStatements(d dialect.Dialect, models ...any) ([]string, error) {
	ms, err := schema.NewRegistry().Register(models...)
	if err != nil {
		return nil, err
	}
	ordered, deferred, err := schema.DependencyOrder(schema.Closure(ms))
	if err != nil {
		return nil, err
	}
	alter := d.Features().Has(dialect.AlterForeignKeys)
	omit := map[*schema.ForeignKey]bool{}
	for _, fk := range deferred {
		omit[fk] = alter
	}
	var tables, indexes, keys []string
	for _, m := range ordered {
		stmts, err := d.CreateTable(m, func(fk *schema.ForeignKey) bool { return omit[fk] })
		if err != nil {
			return nil, err
		}
		tables = append(tables, stmts[0])
		indexes = append(indexes, stmts[1:]...)
		for _, fk := range m.ForeignKeys {
			if omit[fk] {
				keys = append(keys, d.AddForeignKey(m, fk))
			}
		}
	}
	return append(append(tables, indexes...), keys...), nil
}

func cmdHelp(c *cmdRun, args []string) error {
	if len(args) == 0 {
		usage(c.stdout)
		return nil
	}
	if len(args) > 1 {
		usage(c.stderr)
		return fmt.Errorf("%w: help: unexpected argument %q", ErrUsage, args[1])
	}
	for _, cmd := range commands {
		if cmd.name == args[0] && cmd.name != "help" {
			return cmd.run(&cmdRun{ctx: c.ctx, stdout: c.stdout, stderr: c.stdout, models: c.models}, []string{"-h"})
		}
	}
	if args[0] == "help" {
		usage(c.stdout)
		return nil
	}
	usage(c.stderr)
	return fmt.Errorf("%w: help: unknown command %q", ErrUsage, args[0])
}
