package orm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// idBadInputs are arguments that no object method accepts, with the error
// they must match and a fragment of its message naming the problem.
func idBadInputs() []struct {
	name string
	arg  any
	want error
	msg  string
} {
	var nilHero *idHero
	n := 3
	return []struct {
		name string
		arg  any
		want error
		msg  string
	}{
		{"nil", nil, orm.ErrInvalidArgument, "nil object"},
		{"non-pointer struct", idHero{ID: 1}, orm.ErrInvalidArgument, "orm_test.idHero is not a pointer"},
		{"nil pointer", nilHero, orm.ErrInvalidArgument, "nil *orm_test.idHero"},
		{"pointer to non-struct", &n, orm.ErrInvalidArgument, "*int is not a pointer to a struct"},
		{"pointer to pointer", &nilHero, orm.ErrInvalidArgument, "**orm_test.idHero is not a pointer to a struct"},
		{"unregistered struct", &idUnregistered{ID: 1}, orm.ErrUnmapped, "orm_test.idUnregistered is not registered"},
		{"non-struct value", 42, orm.ErrInvalidArgument, "int is not a pointer"},
	}
}

// idCall runs fn and turns a panic into a test failure.
func idCall(t *testing.T, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	return fn()
}

func TestIDWrongInput(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "A"})
		s, rec := idSession(t, db)
		tracked, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		ops := []struct {
			name string
			fn   func(any) error
		}{
			{"Add", s.Add},
			{"AddAll", func(o any) error { return s.AddAll(o) }},
			{"Delete", s.Delete},
			{"MarkDirty", s.MarkDirty},
			{"Expunge", s.Expunge},
		}
		for _, op := range ops {
			for _, c := range idBadInputs() {
				t.Run(op.name+"/"+c.name, func(t *testing.T) {
					err := idCall(t, func() error { return op.fn(c.arg) })
					if err == nil {
						t.Fatalf("%s(%#v) accepted", op.name, c.arg)
					}
					if !errors.Is(err, c.want) {
						t.Fatalf("%s(%#v) = %v, want an error matching %v", op.name, c.arg, err, c.want)
					}
					if !strings.Contains(err.Error(), c.msg) {
						t.Fatalf("%s(%#v) = %q, want it to say %q", op.name, c.arg, err, c.msg)
					}
				})
			}
		}
		// The queries never panic and report "not tracked".
		for _, c := range idBadInputs() {
			t.Run("queries/"+c.name, func(t *testing.T) {
				_ = idCall(t, func() error {
					if s.Contains(c.arg) {
						t.Error("Contains = true")
					}
					if st, ok := s.ObjectState(c.arg); ok || st != orm.StateDetached {
						t.Errorf("ObjectState = %v, %v", st, ok)
					}
					if s.IsModified(c.arg) {
						t.Error("IsModified = true")
					}
					if a := s.ModifiedAttributes(c.arg); a != nil {
						t.Errorf("ModifiedAttributes = %v", a)
					}
					s.Expire(c.arg)
					return nil
				})
			})
		}
		// AddAll names the position of the bad argument and is all or
		// nothing.
		good := &idHero{Name: "good", Born: idBorn}
		err = s.AddAll(good, nil)
		if !errors.Is(err, orm.ErrInvalidArgument) || !strings.Contains(err.Error(), "object 1") {
			t.Fatalf("AddAll(good, nil) = %v", err)
		}
		if s.Contains(good) {
			t.Fatal("a failed AddAll kept the object before the bad one")
		}
		// Nothing was tracked, nothing changed, nothing was sent.
		if s.TrackedCount() != 1 || s.PendingNewCount() != 0 || s.PendingDeleteCount() != 0 || s.PendingDirtyCount() != 0 {
			t.Fatalf("after bad input: %s", s.DebugState())
		}
		if st, _ := s.ObjectState(tracked); st != orm.StatePersistent || tracked.Name != "A" {
			t.Fatalf("tracked object changed: %v %+v", st, *tracked)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "bad input")
	})
}

func TestIDGetUnregistered(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		s, rec := idSession(t, db)
		calls := map[string]func() (*idUnregistered, error){
			"Get":     func() (*idUnregistered, error) { return orm.Get[idUnregistered](ctx, s, 1) },
			"GetByPK": func() (*idUnregistered, error) { return orm.GetByPK[idUnregistered](ctx, s, 1) },
			"GetWithOptions": func() (*idUnregistered, error) {
				return orm.GetWithOptions[idUnregistered](ctx, s, orm.GetOptions{}, 1)
			},
		}
		for name, call := range calls {
			t.Run(name, func(t *testing.T) {
				var v *idUnregistered
				err := idCall(t, func() (err error) { v, err = call(); return err })
				if v != nil || !errors.Is(err, orm.ErrUnmapped) {
					t.Fatalf("%s of an unregistered type = %v, %v; want ErrUnmapped", name, v, err)
				}
				if !strings.Contains(err.Error(), "idUnregistered") || !strings.Contains(err.Error(), "Register") {
					t.Fatalf("error %q does not name the type and the remedy", err)
				}
			})
		}
		// Non-struct type parameters are unmapped too, not a panic.
		if _, err := idCallGet[int](t, ctx, s); !errors.Is(err, orm.ErrUnmapped) {
			t.Fatalf("Get[int] = %v", err)
		}
		if _, err := idCallGet[*idHero](t, ctx, s); !errors.Is(err, orm.ErrUnmapped) {
			t.Fatalf("Get[*idHero] = %v", err)
		}
		var nilSession *orm.Session
		if _, err := idCallGetOn[idHero](t, ctx, nilSession); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("Get on a nil session = %v", err)
		}
		idWantNoSQL(t, rec, "Get of unmapped types")
	})
}

func idCallGet[T any](t *testing.T, ctx context.Context, s *orm.Session) (*T, error) {
	return idCallGetOn[T](t, ctx, s)
}

func idCallGetOn[T any](t *testing.T, ctx context.Context, s *orm.Session) (v *T, err error) {
	t.Helper()
	err = idCall(t, func() (err error) { v, err = orm.Get[T](ctx, s, 1); return err })
	return v, err
}

func TestIDSessionClosed(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "A"})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		// Close with an open transaction rolls it back.
		n := &idHero{ID: 2, Name: "rolled back", Born: idBorn}
		if err := s.Add(n); err != nil {
			t.Fatal(err)
		}
		h.Name = "rolled back too"
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if !s.InTransaction() {
			t.Fatal("AutoBegin left no transaction open")
		}
		rec.Reset()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if ev := rec.Events(); len(ev) != 1 || ev[0].Op != "rollback" {
			t.Fatalf("Close sent:\n%s\nwant one ROLLBACK", rec.Dump())
		}
		if s.InTransaction() || s.TrackedCount() != 0 {
			t.Fatalf("after Close: InTransaction=%v TrackedCount=%d", s.InTransaction(), s.TrackedCount())
		}
		if _, err := idLoad(t, ctx, db, 2); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("row inserted before Close: %v, want rolled back", err)
		}
		if got := idMustLoad(t, ctx, db, 1); got.Name != "A" {
			t.Fatalf("update before Close survived: %q", got.Name)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}

		rec.Reset()
		obj := &idHero{ID: 3, Name: "x"}
		calls := []struct {
			name string
			fn   func() error
		}{
			{"Add", func() error { return s.Add(obj) }},
			{"AddAll", func() error { return s.AddAll(obj) }},
			{"Delete", func() error { return s.Delete(obj) }},
			{"MarkDirty", func() error { return s.MarkDirty(obj) }},
			{"Expunge", func() error { return s.Expunge(obj) }},
			{"Flush", func() error { return s.Flush(ctx) }},
			{"Commit", func() error { return s.Commit(ctx) }},
			{"Rollback", func() error { return s.Rollback(ctx) }},
			{"Begin", func() error { return s.Begin(ctx) }},
			{"Get", func() error { _, err := orm.Get[idHero](ctx, s, 1); return err }},
			{"GetByPK", func() error { _, err := orm.GetByPK[idOrderItem](ctx, s, 1, 2); return err }},
			{"GetWithOptions", func() error {
				_, err := orm.GetWithOptions[idHero](ctx, s, orm.GetOptions{ForUpdate: true}, 1)
				return err
			}},
		}
		for _, c := range calls {
			t.Run(c.name, func(t *testing.T) {
				if err := idCall(t, c.fn); !errors.Is(err, orm.ErrSessionClosed) {
					t.Fatalf("%s after Close = %v, want ErrSessionClosed", c.name, err)
				}
			})
		}
		if s.Contains(obj) || s.Contains(h) || s.IsModified(h) {
			t.Fatal("a closed session reports tracked objects")
		}
		if st, ok := s.ObjectState(h); ok || st != orm.StateDetached {
			t.Fatalf("ObjectState after Close = %v, %v", st, ok)
		}
		idWantNoSQL(t, rec, "a closed session")
	})
}

// TestIDWrongInputMessages prints the messages of the input errors, so that
// a reader can judge them (go test -v -run TestIDWrongInputMessages).
func TestIDWrongInputMessages(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		s, _ := idSession(t, db)
		for _, c := range idBadInputs() {
			err := s.Add(c.arg)
			if err == nil {
				t.Fatalf("%s accepted", c.name)
			}
			t.Log(fmt.Sprintf("Add(%s): %v", c.name, err))
		}
		_, err := orm.GetByPK[idOrderItem](ctx, s, 1)
		t.Logf("GetByPK arity: %v", err)
		_, err = orm.Get[idHero](ctx, s, "abc")
		t.Logf("Get wrong key type: %v", err)
		if err == nil {
			t.Fatal("Get with a string key for an int key accepted")
		}
	})
}

type idTeam struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	Members orm.RelatedMany[idMember]
}

func (idTeam) TableName() string { return "id_team" }

type idMember struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID *int64 `sqlmodel:"fk=id_team.id"`
}

func (idMember) TableName() string { return "id_member" }

// TestIDAddCascadeAtomic: an Add whose save cascade meets a bad object
// changes nothing, neither the parent nor the children before the bad one.
func TestIDAddCascadeAtomic(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &idTeam{}, &idMember{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, idSQL(db, `INSERT INTO "id_member" ("id", "name") VALUES (?, ?)`), 1, "tracked"); err != nil {
			t.Fatal(err)
		}
		s, rec := idSession(t, db)
		tracked, err := orm.Get[idMember](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(tracked); err != nil {
			t.Fatal(err)
		}
		rec.Reset()

		cases := []struct {
			name    string
			members func() []*idMember
			want    error
			msg     string
		}{
			{"identity conflict", func() []*idMember { return []*idMember{{Name: "new"}, {ID: 1, Name: "second instance"}} }, orm.ErrIdentityConflict, "idTeam.Members"},
			{"nil member", func() []*idMember { return []*idMember{{Name: "new"}, nil} }, orm.ErrInvalidArgument, "nil"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				team := &idTeam{Name: "t"}
				ms := c.members()
				// The deleted member in the cascade would be undeleted by a
				// successful Add; the failure must not do it either.
				team.Members.Set(append([]*idMember{tracked}, ms...))
				err := idCall(t, func() error { return s.Add(team) })
				if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("Add = %v, want %v mentioning %q", err, c.want, c.msg)
				}
				if s.Contains(team) || s.Contains(ms[0]) {
					t.Fatalf("a failed Add left objects tracked: team %v, first member %v", s.Contains(team), s.Contains(ms[0]))
				}
				if st, _ := s.ObjectState(tracked); st != orm.StateDeleted {
					t.Fatalf("the deleted member is %v after a failed Add, want Deleted", st)
				}
				if s.TrackedCount() != 1 || s.PendingNewCount() != 0 || s.PendingDeleteCount() != 1 {
					t.Fatalf("after a failed Add: %s", s.DebugState())
				}
				if err := idCall(t, func() error { return s.AddAll(&idMember{Name: "x"}, team) }); !errors.Is(err, c.want) {
					t.Fatalf("AddAll = %v", err)
				}
				if s.TrackedCount() != 1 || s.PendingNewCount() != 0 {
					t.Fatalf("after a failed AddAll: %s", s.DebugState())
				}
			})
		}
		idWantNoSQL(t, rec, "failed Adds")
	})
}
