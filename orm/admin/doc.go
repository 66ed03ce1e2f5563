// Package admin is a web admin over registered models: an http.Handler that
// lists, filters, sorts, exports, creates, edits and deletes rows, every
// write through a Session in one transaction.
//
//	h, err := admin.New(db,
//		admin.Models(admin.Model[Team](), admin.Model[Hero](admin.ListColumns("name", "age", "team_id"))),
//		admin.Authorize(func(r *http.Request, table string, action admin.Action) bool { return isStaff(r) }),
//		admin.AuditLog(func(r *http.Request) string { return userOf(r) }))
//	http.Handle("/admin/", http.StripPrefix("/admin", h))
//
// Routes, relative to the mount point: GET / (the models), GET /{table}
// (list: search, filters, sort, keyset pages, bulk actions), GET and POST
// /{table}/new, GET and POST /{table}/{key} (edit), GET and POST
// /{table}/{key}/delete (a confirmation that lists what the delete cascades
// to and sets NULL, then the delete), POST /{table}/bulk (delete or export
// the selected rows), GET /{table}/export.csv and GET
// /{table}/lookup?for=COLUMN&q=TEXT (the related rows a foreign key may point
// to, authorized as list of the related model). A composite key is its
// columns' text, query-escaped and joined by commas.
//
// Foreign keys to a table of more than 200 rows are edited and filtered
// with a picker: the key as text, the chosen row's name, and a search that
// lists matching related rows in place (htmx) or, without JavaScript, on
// the lookup page, whose links open the form with the key filled in.
//
// Enum-like columns get a select, an equality filter and server-side
// validation: those given admin.Choices, and those whose named type
// declares its values with a method on the value type, Values() returning
// a slice of the type itself ([]string also for string kinds). Integer
// kinds store the integer and show the value's String() when it has one.
//
// Safety: nothing is served unless the Authorize function allows the model
// and the action; POSTs from other origins are refused
// (http.CrossOriginProtection); pages are html/template output; sort,
// filter and search parameters are checked against the model's columns and
// reach SQL only as bound values; a version column turns a concurrent
// change into a conflict shown with the current values; constraint
// violations are shown next to their column. With AuditLog, each change
// also writes an AuditEntry (who, when, table, key, old and new values) in
// the same transaction.
//
// Pages are plain HTML forms and links that work without JavaScript; htmx
// (embedded, no build step) makes navigation and search update in place.
//
// A Handler is safe for concurrent use: each request has a Session of its
// own. The models must be registered with the DB and their tables created;
// with AuditLog, so must AuditEntry's.
package admin
