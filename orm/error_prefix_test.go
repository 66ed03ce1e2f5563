package orm_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

type epTeam struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"unique"`
}

func (epTeam) TableName() string { return "ep_team" }

type epHero struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	TeamID  *int64 `sqlmodel:"fk=ep_team.id"`
	Version int64  `sqlmodel:"version"`
}

func (epHero) TableName() string { return "ep_hero" }

type epBadTag struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"uniqe"`
}

type epUnregistered struct {
	ID int64 `sqlmodel:"pk"`
}

// epPrefix matches the prefix of an ORM message: "orm: " or, for the
// errors of one package, "orm/schema: ", "orm/query: " and so on.
var epPrefix = regexp.MustCompile(`\borm(/[a-z]+)?: `)

// Every message says "orm:" once, however many layers wrapped it, and the
// wrapping keeps errors.Is working.
func TestErrorMessagesSayORMOnce(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &epTeam{}, &epHero{}); err != nil {
			t.Fatal(err)
		}
		seed := orm.NewSession(db)
		if err := seed.AddAll(&epTeam{ID: 1, Name: "Preventers"}, &epHero{ID: 1, Name: "Rusty-Man", TeamID: ptrI64(1)}); err != nil {
			t.Fatal(err)
		}
		if err := seed.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := seed.Close(); err != nil {
			t.Fatal(err)
		}

		commit := func(objs ...any) error {
			s := orm.NewSession(db)
			defer s.Close()
			if err := s.AddAll(objs...); err != nil {
				return err
			}
			return s.Commit(ctx)
		}
		cases := []struct {
			name string
			want error
			run  func() error
		}{
			{"unique violation in flush", orm.ErrUniqueViolation, func() error {
				return commit(&epTeam{ID: 2, Name: "Preventers"})
			}},
			{"unique violation in an explicit Flush", orm.ErrUniqueViolation, func() error {
				s := orm.NewSession(db)
				defer s.Close()
				if err := s.Add(&epTeam{ID: 3, Name: "Preventers"}); err != nil {
					return err
				}
				return s.Flush(ctx)
			}},
			{"foreign key violation", orm.ErrForeignKeyViolation, func() error {
				return commit(&epHero{ID: 2, Name: "Orphan", TeamID: ptrI64(99)})
			}},
			{"not found (Get)", orm.ErrNotFound, func() error {
				s := orm.NewSession(db)
				defer s.Close()
				_, err := orm.Get[epHero](ctx, s, 404)
				return err
			}},
			{"not found (One)", orm.ErrNotFound, func() error {
				_, err := orm.Select[epHero](db).Where("id = ?", 404).One(ctx)
				return err
			}},
			{"bad tag (CreateAll)", orm.ErrInvalidTag, func() error {
				return db.CreateAll(ctx, &epBadTag{})
			}},
			{"unregistered type (Add)", orm.ErrUnmapped, func() error {
				s := orm.NewSession(db)
				defer s.Close()
				return s.Add(&epUnregistered{ID: 1})
			}},
			{"unregistered type (Select)", orm.ErrUnmapped, func() error {
				_, err := orm.Select[epUnregistered](db).All(ctx)
				return err
			}},
			{"version conflict", orm.ErrStaleData, func() error {
				s := orm.NewSession(db)
				defer s.Close()
				h, err := orm.Get[epHero](ctx, s, 1)
				if err != nil {
					return err
				}
				if _, err := orm.Exec(ctx, db, `UPDATE ep_hero SET version = version + 1 WHERE id = ?`, 1); err != nil {
					return err
				}
				h.Name = "Rusty"
				return s.Commit(ctx)
			}},
			{"invalid argument", orm.ErrInvalidArgument, func() error {
				s := orm.NewSession(db)
				defer s.Close()
				return s.Add(nil)
			}},
			{"Preload typo", orm.ErrInvalidArgument, func() error {
				s := orm.NewSession(db)
				defer s.Close()
				_, err := orm.Select[epHero](s).Preload("Team").All(ctx)
				return err
			}},
			{"an event handler's ORM error", orm.ErrNotFound, func() error {
				s := orm.NewSession(db)
				defer s.Close()
				s.OnBeforeCommit(func(ctx context.Context) error {
					_, err := orm.Get[epTeam](ctx, s, 404)
					return err
				})
				if err := s.Add(&epTeam{ID: 5, Name: "Hooked"}); err != nil {
					return err
				}
				return s.Commit(ctx)
			}},
			{"RunInTx", orm.ErrUniqueViolation, func() error {
				return orm.RunInTx(ctx, db, func(s *orm.Session) error {
					if err := s.Add(&epTeam{ID: 4, Name: "Preventers"}); err != nil {
						return err
					}
					return s.Flush(ctx)
				})
			}},
		}
		for _, c := range cases {
			err := c.run()
			if !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
				continue
			}
			if n := len(epPrefix.FindAllString(err.Error(), -1)); n != 1 {
				t.Errorf("%s: %q has %d \"orm:\" or \"orm/<package>:\" prefixes, want one", c.name, err, n)
			}
		}
	})
}

// Errors of a closed DB pass through the layers that wrap them (get,
// begin, CreateAll, RunInTx), each adding its step but not another
// "orm:".
func TestClosedDBErrorsSayORMOnce(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := context.Background()
		closed, err := orm.Open(tg.Driver, tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		if err := closed.CreateAll(ctx, &epTeam{}, &epHero{}); err != nil {
			t.Fatal(err)
		}
		s := orm.NewSession(closed)
		defer s.Close()
		if err := closed.Close(); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			run  func() error
		}{
			{"Get", func() error { _, err := orm.Get[epTeam](ctx, s, 1); return err }},
			{"Commit", func() error {
				if err := s.Add(&epTeam{ID: 7, Name: "Closed"}); err != nil {
					return err
				}
				return s.Commit(ctx)
			}},
			{"CreateAll", func() error { return closed.CreateAll(ctx, &epTeam{}) }},
			{"RunInTx", func() error {
				return orm.RunInTx(ctx, closed, func(s *orm.Session) error { return nil })
			}},
		}
		for _, c := range cases {
			err := c.run()
			t.Logf("%s: %v", c.name, err)
			if !errors.Is(err, orm.ErrDBClosed) {
				t.Errorf("%s: %v, want ErrDBClosed", c.name, err)
				continue
			}
			if n := len(epPrefix.FindAllString(err.Error(), -1)); n != 1 {
				t.Errorf("%s: %q has %d \"orm:\" or \"orm/<package>:\" prefixes, want one", c.name, err, n)
			}
		}
	})
}

func ptrI64(v int64) *int64 { return &v }
