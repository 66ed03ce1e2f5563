package orm_test

import (
	"errors"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/faultdriver"
	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// An aborted transaction stays aborted until Rollback (issue 15, item 4):
// after the session lost its transaction (here: the connection breaks at
// the savepoint of a second flush), Flush, Commit, queries and Begin
// return ErrTransactionAborted wrapping the cause, the work flushed before
// is never reported as committed, and Rollback makes the session usable.
func TestTransactionAbortedUntilRollback(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := ftCtx(t)
		env := ftOpen(t, tg)
		s := orm.NewSession(env.faulty)
		defer s.Close()
		first := &ftAuthor{Name: "first"}
		ftOK(t, s.Add(first), "Add first")
		ftOK(t, s.Flush(ctx), "Flush first") // AutoBegin: the transaction stays open
		second := &ftAuthor{Name: "second"}
		ftOK(t, s.Add(second), "Add second")
		env.ctl.Arm(faultdriver.Fault{Action: faultdriver.BadConn, At: 1})
		if err := s.Flush(ctx); !errors.Is(err, orm.ErrConnectionLost) {
			t.Fatalf("Flush over a broken connection: %v, want ErrConnectionLost", err)
		}
		if s.InTransaction() {
			t.Fatal("the session still holds the lost transaction")
		}
		for what, call := range map[string]func() error{
			"Commit": func() error { return s.Commit(ctx) },
			"Flush":  func() error { return s.Flush(ctx) },
			"query":  func() error { _, err := orm.Select[ftAuthor](s).All(ctx); return err },
			"Begin":  func() error { return s.Begin(ctx) },
		} {
			err := call()
			if !errors.Is(err, orm.ErrTransactionAborted) || !errors.Is(err, orm.ErrConnectionLost) {
				t.Fatalf("%s after the loss: %v, want ErrTransactionAborted wrapping ErrConnectionLost", what, err)
			}
		}
		ftEqual(t, "authors while aborted", rwRows(t, env.plain, `SELECT "name" FROM "ft_author"`), nil)
		// The transaction's objects are back to before it.
		if st, _ := s.ObjectState(first); st != orm.StateDetached || first.ID != 0 {
			t.Fatalf("first is %v with id %d after the loss, want Detached with no key", st, first.ID)
		}
		ftOK(t, s.Rollback(ctx), "Rollback")
		ftOK(t, s.AddAll(first, second), "AddAll again")
		ftOK(t, s.Commit(ctx), "Commit after Rollback")
		ftEqual(t, "authors", rwRows(t, env.plain, `SELECT "name" FROM "ft_author"`), []string{"first", "second"})
	})
}
