// Package layering holds no code, only a test that enforces the import
// direction between the module's packages. From top to bottom:
//
//	orm            (github.com/sqlmodel-go/sqlmodel/orm)
//	orm/session
//	orm/query
//	orm/relations  (may import orm/schema, not orm/dialect)
//	orm/dialect    (may import orm/schema, not orm/relations)
//	orm/schema
//	internal/topo
//
// A package may import only packages below it, directly or through other
// packages, and nothing under orm/ may import internal/testkit outside of
// _test.go files. orm/ormtest, the public test support, sits beside the
// stack: it imports orm, and no package imports it outside of _test.go
// files except internal/testkit, which wraps it for the module's tests. The test reads the import graph with
// `go list -deps`; packages that do not exist yet are skipped.
//
// A second test keeps the differences between databases in orm/dialect:
// outside it, no code compares a dialect's Name() or Flavor() with the name
// of a database (dialectnames_test.go); a difference is a Features flag or
// a Dialect method instead.
package layering
