// Package query builds SELECT, UPDATE and DELETE statements for one model
// from checked parts: column names are resolved against the model's metadata
// (Go field or column name) and quoted by the dialect, values are always
// bound parameters, and user-written fragments with '?' placeholders are
// rebound to the dialect's style with slice arguments expanded.
//
// Builders render without a database (Build), so statements can be tested
// alone; the session package executes them. A builder is a plain value for
// one goroutine; builder methods never touch a database or session.
package query
