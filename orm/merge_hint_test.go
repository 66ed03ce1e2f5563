package orm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

type mhUser struct {
	ID    int64  `sqlmodel:"pk"`
	Email string `sqlmodel:"unique"`
	Name  string
}

func (mhUser) TableName() string { return "mh_user" }

// mhMembership has a composite primary key (no single column for SQLite to
// name in its message).
type mhMembership struct {
	GroupID int64 `sqlmodel:"pk"`
	UserID  int64 `sqlmodel:"pk"`
	Role    string
}

func (mhMembership) TableName() string { return "mh_membership" }

// mhCommitErr adds objs in a fresh session and returns the error of Commit.
func mhCommitErr(ctx context.Context, t *testing.T, db *orm.DB, objs ...any) error {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	if err := s.AddAll(objs...); err != nil {
		t.Fatalf("AddAll: %v", err)
	}
	return s.Commit(ctx)
}

// A primary-key violation from Add of an object that was given its key
// (loaded by an earlier session) says to use Merge, and is still the
// classified unique violation.
func TestAddOfLoadedObjectHintsMerge(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &mhUser{}, &mhMembership{}); err != nil {
			t.Fatal(err)
		}
		if err := mhCommitErr(ctx, t, db, &mhUser{ID: 1, Email: "a@example.com", Name: "Ann"},
			&mhMembership{GroupID: 1, UserID: 1, Role: "member"}); err != nil {
			t.Fatal(err)
		}

		// Loaded by a session that is gone, changed, added to another.
		s1 := orm.NewSession(db)
		u, err := orm.Get[mhUser](ctx, s1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s1.Close(); err != nil {
			t.Fatal(err)
		}
		u.Name = "Annie"
		mhWantHint(t, "single key", mhCommitErr(ctx, t, db, u), true)
		mhWantHint(t, "composite key", mhCommitErr(ctx, t, db, &mhMembership{GroupID: 1, UserID: 1, Role: "owner"}), true)

		// Another unique column: no hint, the key is not what collided.
		mhWantHint(t, "other unique column", mhCommitErr(ctx, t, db, &mhUser{ID: 2, Email: "a@example.com"}), false)

		// What the hint says works: Merge updates the row.
		s2 := orm.NewSession(db)
		defer s2.Close()
		if _, err := orm.Merge(ctx, s2, u, true); err != nil {
			t.Fatal(err)
		}
		if err := s2.Commit(ctx); err != nil {
			t.Fatalf("Commit after Merge: %v", err)
		}
		got, err := orm.Select[mhUser](db).Where("id = ?", 1).One(ctx)
		if err != nil || got.Name != "Annie" {
			t.Errorf("after Merge: %+v, %v", got, err)
		}
	})
}

func mhWantHint(t *testing.T, what string, err error, hint bool) {
	t.Helper()
	t.Logf("%s: %v", what, err)
	if !errors.Is(err, orm.ErrUniqueViolation) {
		t.Fatalf("%s: %v, want ErrUniqueViolation", what, err)
	}
	var ce *orm.ConstraintError
	if !errors.As(err, &ce) {
		t.Errorf("%s: no *ConstraintError in %v", what, err)
	}
	var fe *orm.FlushError
	if !errors.As(err, &fe) || fe.Op != "insert" {
		t.Errorf("%s: no insert *FlushError in %v", what, err)
	}
	if got := strings.Contains(err.Error(), "orm.Merge"); got != hint {
		t.Errorf("%s: hint to Merge = %v, want %v: %v", what, got, hint, err)
	}
	if n := strings.Count(err.Error(), "orm:"); n != 1 {
		t.Errorf("%s: %d \"orm:\" prefixes in %q, want 1", what, n, err)
	}
}
