// Package doccheck compiles the Go snippets of README.md and docs/*.md, so
// that the documentation cannot drift from the API. It has no code of its
// own: its test extracts every ```go block, wraps it into a Go file and
// type-checks that file against the module's packages (go/types, with the
// export data `go list -export` produces).
//
// How a block is wrapped:
//
//   - A block with a package clause is a file of its own.
//   - A block of declarations only (types, functions, methods, variables)
//     goes at file level.
//   - Any other block is a function body; functions and methods in it, and
//     the types that have methods there, are moved to file level.
//
// Every file gets a prelude of the names snippets take for granted: ctx,
// db, s, err, the tutorial's models (Hero, Team, Power) and variables of
// them (hero, heroes, team, teams), and imports of the packages snippets
// use by name (orm, context, errors, fmt, time, ...). A name a snippet
// declares at file level replaces the prelude's; one it declares in a body
// shadows it. "declared and not used" and unused imports are not errors
// here: snippets show calls, not whole programs.
//
// An HTML comment on the line before a block changes this:
//
//	<!-- doccheck: skip REASON -->   the block is a fragment that cannot compile (keep these rare)
//
// Blank imports of github.com/sqlmodel-go/sqlmodel/orm/driver/... that do
// not resolve in the module are dropped with a log line, so that the docs
// may show the driver import lines before those packages exist.
//
// Only its test runs; nothing imports this package.
package doccheck
