package engine

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"
)

// The observation points above single statements: flushes, transactions
// and RunInTx attempts. A QueryHook may also implement FlushObserver,
// TxObserver or AttemptObserver (as an http.ResponseWriter may implement
// http.Flusher); the engine finds out once, when the hook is added, so a
// DB whose hooks implement none of them pays nothing for them.

// FlushEvent describes one flush of a session that writes something (a
// flush with nothing to write is not observed). Observers receive the same
// *FlushEvent before and after the flush.
type FlushEvent struct {
	// Start is when the flush began writing.
	Start time.Time
	// Tx is the transaction the flush runs in when it was begun before the
	// flush; nil when the flush begins its own (its TxEvent then follows
	// the flush's BeforeFlush) or when no hook observes transactions.
	Tx *TxEvent
	// Tables, Statements and Rows are set as the flush's statements run:
	// per table, in the order the flush first touched it, and in all.
	// Rows counts rows affected (or returned, for INSERT … RETURNING).
	Tables     []FlushTable
	Statements int
	Rows       int64
	// Duration and Err are set when the flush has finished.
	Duration time.Duration
	Err      error
}

// FlushTable is the work of one flush on one table.
type FlushTable struct {
	// Table is the table's name as the statements name it, unquoted.
	Table string
	// Statements is the number of statements the flush sent on the table;
	// Rows the rows they affected (or returned).
	Statements int
	Rows       int64
}

// FlushObserver is implemented by a QueryHook that observes flushes.
// BeforeFlush may return a derived context: the flush's statements run
// with it. AfterFlush runs with that context when the flush has finished.
type FlushObserver interface {
	BeforeFlush(ctx context.Context, e *FlushEvent) context.Context
	AfterFlush(ctx context.Context, e *FlushEvent)
}

// TxEvent describes one transaction of a session, from BEGIN to COMMIT or
// ROLLBACK. Observers receive the same *TxEvent when it begins and ends.
type TxEvent struct {
	// Start is when the transaction was begun.
	Start time.Time
	// Isolation and ReadOnly are the options it was begun with.
	Isolation sql.IsolationLevel
	ReadOnly  bool
	// Context is the context the observers' BeforeTx returned. The
	// statements of a transaction run with their callers' contexts, not
	// this one; QueryEvent.Tx and FlushEvent.Tx lead an observer here.
	Context context.Context
	// End is "commit" or "rollback" (also for a transaction that ended
	// because it failed or its connection was lost), or "begin" when BEGIN
	// failed; Duration and Err are set when the transaction has ended. Err
	// is the error that ended it: a failed BEGIN, COMMIT or ROLLBACK, or
	// the failure that aborted it (nil for a commit or an explicit
	// rollback that went through).
	End      string
	Duration time.Duration
	Err      error
}

// TxObserver is implemented by a QueryHook that observes transactions.
// BeforeTx runs before BEGIN, which runs with the context it returns;
// AfterTx runs, with that context, once the transaction has ended.
type TxObserver interface {
	BeforeTx(ctx context.Context, e *TxEvent) context.Context
	AfterTx(ctx context.Context, e *TxEvent)
}

// AttemptEvent describes one attempt of RunInTx. Observers receive the
// same *AttemptEvent before and after the attempt.
type AttemptEvent struct {
	// Attempt is 1 for the first attempt, 2 for the first retry, ...
	Attempt int
	// Retry is the error of the previous attempt that caused this one to
	// run (a serialization failure, a deadlock, a lock timeout or a lost
	// connection); nil for the first attempt.
	Retry error
	Start time.Time
	// Duration, Err, Committed and WillRetry are set after the attempt:
	// Committed reports that its COMMIT went through, WillRetry that
	// RunInTx runs another attempt because of Err.
	Duration  time.Duration
	Err       error
	Committed bool
	WillRetry bool
}

// AttemptObserver is implemented by a QueryHook that observes RunInTx
// attempts. BeforeAttempt may return a derived context: the attempt's
// BEGIN and COMMIT run with it. AfterAttempt runs with that context once
// the attempt has finished and RunInTx has decided whether to retry.
type AttemptObserver interface {
	BeforeAttempt(ctx context.Context, e *AttemptEvent) context.Context
	AfterAttempt(ctx context.Context, e *AttemptEvent)
}

// observers are the engine's hooks that implement the optional observer
// interfaces, and the transactions open on them. Nil when none does.
type observers struct {
	flush   []FlushObserver
	tx      []TxObserver
	attempt []AttemptObserver
	// open maps the connection of each observed open transaction (the
	// *sql.Tx the session's statements run on) to its event.
	open sync.Map
}

// newObservers collects the hooks that implement an observer interface;
// nil when none does.
func newObservers(hooks []QueryHook) *observers {
	o := &observers{}
	for _, h := range hooks {
		if f, ok := h.(FlushObserver); ok {
			o.flush = append(o.flush, f)
		}
		if t, ok := h.(TxObserver); ok {
			o.tx = append(o.tx, t)
		}
		if a, ok := h.(AttemptObserver); ok {
			o.attempt = append(o.attempt, a)
		}
	}
	if len(o.flush)+len(o.tx)+len(o.attempt) == 0 {
		return nil
	}
	return o
}

// flushKey carries the FlushEvent of a running flush in the flush's
// context, for the statements to be counted in it.
type flushKey struct{}

// BeforeFlush starts the observers' record of a flush that runs in the
// transaction tx (nil when the flush begins its own). It returns the
// context to run the flush with and the event to give to AfterFlush; a nil
// event, at no cost, when no hook observes flushes.
func (e *Engine) BeforeFlush(ctx context.Context, tx *TxEvent) (context.Context, *FlushEvent) {
	if e.obs == nil || len(e.obs.flush) == 0 {
		return ctx, nil
	}
	ev := &FlushEvent{Start: time.Now(), Tx: tx}
	for _, o := range e.obs.flush {
		ctx = o.BeforeFlush(ctx, ev)
	}
	return context.WithValue(ctx, flushKey{}, ev), ev
}

// AfterFlush ends the record of a flush begun with BeforeFlush; ctx is
// the context BeforeFlush returned. A nil event does nothing.
func (e *Engine) AfterFlush(ctx context.Context, ev *FlushEvent, err error) {
	if ev == nil {
		return
	}
	ev.Duration, ev.Err = time.Since(ev.Start), err
	for i := len(e.obs.flush) - 1; i >= 0; i-- {
		e.obs.flush[i].AfterFlush(ctx, ev)
	}
}

// countInFlush adds a finished statement to the flush whose context ctx
// derives from, if any.
func (e *Engine) countInFlush(ctx context.Context, ev *QueryEvent) {
	if e.obs == nil || len(e.obs.flush) == 0 {
		return
	}
	fe, _ := ctx.Value(flushKey{}).(*FlushEvent)
	if fe == nil {
		return
	}
	rows := max(ev.Rows, 0)
	fe.Statements++
	fe.Rows += rows
	table := TableOf(ev.Query)
	if table == "" {
		return
	}
	for i := range fe.Tables {
		if fe.Tables[i].Table == table {
			fe.Tables[i].Statements++
			fe.Tables[i].Rows += rows
			return
		}
	}
	fe.Tables = append(fe.Tables, FlushTable{Table: table, Statements: 1, Rows: rows})
}

// BeforeTx starts the observers' record of a transaction about to be
// begun with opts (nil for the defaults). It returns the context to begin
// it with and the event to give to BindTx and AfterTx; a nil event, at no
// cost, when no hook observes transactions.
func (e *Engine) BeforeTx(ctx context.Context, opts *sql.TxOptions) (context.Context, *TxEvent) {
	if e.obs == nil || len(e.obs.tx) == 0 {
		return ctx, nil
	}
	ev := &TxEvent{Start: time.Now()}
	if opts != nil {
		ev.Isolation, ev.ReadOnly = opts.Isolation, opts.ReadOnly
	}
	for _, o := range e.obs.tx {
		ctx = o.BeforeTx(ctx, ev)
	}
	ev.Context = ctx
	return ctx, ev
}

// BindTx records that the statements run on c (the transaction's *sql.Tx)
// belong to the transaction of ev, for QueryEvent.Tx, until AfterTx. A nil
// event does nothing.
func (e *Engine) BindTx(c Conn, ev *TxEvent) {
	if ev != nil && c != nil {
		e.obs.open.Store(c, ev)
	}
}

// AfterTx ends the record of a transaction begun with BeforeTx: end is
// "commit" or "rollback", err what ended it, c the connection given to
// BindTx (nil if it was never bound). A nil event does nothing.
func (e *Engine) AfterTx(ev *TxEvent, c Conn, end string, err error) {
	if ev == nil {
		return
	}
	if c != nil {
		e.obs.open.Delete(c)
	}
	ev.End, ev.Duration, ev.Err = end, time.Since(ev.Start), err
	for i := len(e.obs.tx) - 1; i >= 0; i-- {
		e.obs.tx[i].AfterTx(ev.Context, ev)
	}
}

// txOf returns the observed transaction that statements on c run in; nil
// when c is not an observed transaction.
func (e *Engine) txOf(c Conn) *TxEvent {
	if e.obs == nil || len(e.obs.tx) == 0 {
		return nil
	}
	if v, ok := e.obs.open.Load(c); ok {
		return v.(*TxEvent)
	}
	return nil
}

// BeforeAttempt starts the observers' record of a RunInTx attempt
// (attempt counts from 1; retry is the previous attempt's error). It
// returns the context to run the attempt with and the event to give to
// AfterAttempt; a nil event, at no cost, when no hook observes attempts.
func (e *Engine) BeforeAttempt(ctx context.Context, attempt int, retry error) (context.Context, *AttemptEvent) {
	if e.obs == nil || len(e.obs.attempt) == 0 {
		return ctx, nil
	}
	ev := &AttemptEvent{Attempt: attempt, Retry: retry, Start: time.Now()}
	for _, o := range e.obs.attempt {
		ctx = o.BeforeAttempt(ctx, ev)
	}
	return ctx, ev
}

// AfterAttempt ends the record of an attempt begun with BeforeAttempt; ctx
// is the context BeforeAttempt returned. A nil event does nothing.
func (e *Engine) AfterAttempt(ctx context.Context, ev *AttemptEvent, committed, willRetry bool, err error) {
	if ev == nil {
		return
	}
	ev.Duration, ev.Err, ev.Committed, ev.WillRetry = time.Since(ev.Start), err, committed, willRetry
	for i := len(e.obs.attempt) - 1; i >= 0; i-- {
		e.obs.attempt[i].AfterAttempt(ctx, ev)
	}
}

// TableOf returns the table a statement of the forms the ORM writes acts
// on: the name after INSERT INTO, UPDATE, DELETE FROM, or the FROM of a
// SELECT that reads one table (no join, no list of tables, no subquery
// there), unquoted. It returns "" for anything else, and for names it
// cannot read with certainty. A schema-qualified name keeps its schema
// ("s.t").
func TableOf(query string) string {
	q := strings.TrimLeft(query, " \t\r\n(")
	word, rest := keyword(q)
	switch word {
	case "INSERT":
		if w, r := keyword(rest); w == "INTO" {
			return tableName(r)
		}
	case "UPDATE":
		return tableName(rest)
	case "DELETE":
		if w, r := keyword(rest); w == "FROM" {
			return tableName(r)
		}
	case "SELECT":
		return selectTable(rest)
	}
	return ""
}

// OperationOf returns the first word of a statement in upper case
// ("SELECT", "INSERT", "BEGIN", ...); "" when it does not start with a
// word.
func OperationOf(query string) string {
	w, _ := keyword(strings.TrimLeft(query, " \t\r\n("))
	return w
}

// keyword splits s after its first word (letters only), returned in upper
// case, and the blanks after it.
func keyword(s string) (word, rest string) {
	i := 0
	for i < len(s) && (s[i]|0x20 >= 'a' && s[i]|0x20 <= 'z') {
		i++
	}
	return strings.ToUpper(s[:i]), strings.TrimLeft(s[i:], " \t\r\n")
}

// selectTable finds the FROM of a SELECT outside quotes and parentheses
// and reads the one table after it: the name, an optional alias, then the
// end of the statement or a clause that names no other table.
func selectTable(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '`', '\'':
			j := closing(s, i)
			if j < 0 {
				return ""
			}
			i = j
		case '(':
			depth++
		case ')':
			depth--
		default:
			if depth != 0 || i == 0 || !isWord(c) || isWord(s[i-1]) {
				continue
			}
			w, rest := word(s[i:])
			if w != "FROM" {
				continue
			}
			n := quotedLen(rest)
			if n == 0 || !endsFrom(rest[n:]) {
				return ""
			}
			return tableName(rest[:n])
		}
	}
	return ""
}

// fromEnds are the words that may follow the table (and alias) of a
// SELECT from one table.
var fromEnds = map[string]bool{"": true, "WHERE": true, "ORDER": true, "GROUP": true, "HAVING": true,
	"LIMIT": true, "OFFSET": true, "FETCH": true, "FOR": true, "LOCK": true, "WINDOW": true}

// endsFrom reports whether s, what follows a SELECT's table, names no
// other table: an optional alias, then the end or a clause of fromEnds.
func endsFrom(s string) bool {
	s = strings.TrimLeft(s, " \t\r\n")
	if s == "" || s[0] == ';' || s[0] == ')' {
		return true
	}
	w, rest := word(s)
	if w == "AS" || (w == "" && (s[0] == '"' || s[0] == '`')) || (w != "" && !fromEnds[w] && w != "JOIN" && w != "NATURAL" &&
		w != "LEFT" && w != "RIGHT" && w != "INNER" && w != "CROSS" && w != "FULL" && w != "UNION") {
		if w == "AS" || w == "" {
			if w == "" {
				rest = s
			}
			n := quotedLen(rest)
			if n == 0 {
				return false
			}
			rest = rest[n:]
		}
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" || rest[0] == ';' || rest[0] == ')' {
			return true
		}
		w, _ = word(rest)
	}
	return w != "" && fromEnds[w]
}

// word splits s after its first word (isWord bytes), returned in upper
// case, and the blanks after it.
func word(s string) (string, string) {
	i := 0
	for i < len(s) && isWord(s[i]) {
		i++
	}
	return strings.ToUpper(s[:i]), strings.TrimLeft(s[i:], " \t\r\n")
}

// tableName reads a (possibly quoted, possibly schema-qualified) name at
// the start of s and returns it unquoted; "" when s does not start with
// one.
func tableName(s string) string {
	n := quotedLen(s)
	if n == 0 {
		return ""
	}
	var b strings.Builder
	for part := s[:n]; part != ""; {
		if part[0] == '.' {
			b.WriteByte('.')
			part = part[1:]
			continue
		}
		if q := part[0]; q == '"' || q == '`' {
			j := closing(part, 0)
			b.WriteString(strings.ReplaceAll(part[1:j], string([]byte{q, q}), string(q)))
			part = part[j+1:]
			continue
		}
		k := 0
		for k < len(part) && part[k] != '.' {
			k++
		}
		b.WriteString(part[:k])
		part = part[k:]
	}
	return b.String()
}

// quotedLen returns the length of the name at the start of s: bare words
// (letters, digits, _ and $) and quoted identifiers, joined by dots.
func quotedLen(s string) int {
	i := 0
	for {
		switch {
		case i < len(s) && (s[i] == '"' || s[i] == '`'):
			j := closing(s, i)
			if j < 0 {
				return 0
			}
			i = j + 1
		case i < len(s) && isWord(s[i]):
			for i < len(s) && isWord(s[i]) {
				i++
			}
		default:
			return 0
		}
		if i < len(s) && s[i] == '.' {
			i++
			continue
		}
		return i
	}
}

// closing returns the index of the quote closing the one at s[i] (a
// doubled quote is an escaped one), or -1.
func closing(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		if s[j] != q {
			continue
		}
		if j+1 < len(s) && s[j+1] == q {
			j++
			continue
		}
		return j
	}
	return -1
}

func isWord(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80
}
