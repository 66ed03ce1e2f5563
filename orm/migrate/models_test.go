package migrate_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// The model set of orm/ddl_test.go with tables prefixed mg_: every column tag
// option and every supported Go type.

type MgPowerKind string

type MgLevel int

// MgPoint is a custom Scanner/Valuer stored as the text "x,y".
type MgPoint struct{ X, Y int }

func (p MgPoint) Value() (driver.Value, error) { return fmt.Sprintf("%d,%d", p.X, p.Y), nil }

func (p *MgPoint) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("MgPoint: cannot scan %T", src)
	}
	_, err := fmt.Sscanf(s, "%d,%d", &p.X, &p.Y)
	return err
}

type MgInfo struct {
	Origin string `json:"origin"`
	Rank   int    `json:"rank"`
}

type MgTeam struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique,size=100"`
	Headquarters string
	Budget       float64 `sqlmodel:"default=0"`
	Active       bool    `sqlmodel:"default=true"`
}

type MgPower struct {
	ID    int32       `sqlmodel:"pk,autoincrement"`
	Name  string      `sqlmodel:"size=50,unique_index=uix_mg_power_name"`
	Kind  MgPowerKind `sqlmodel:"index=ix_mg_power_kind_level"`
	Level MgLevel     `sqlmodel:"index=ix_mg_power_kind_level"`
}

type MgHero struct {
	ID         int64                    `sqlmodel:"pk"`
	Name       string                   `sqlmodel:"index"`
	SecretName string                   `sqlmodel:"column=secret_alias,size=64,notnull"`
	Age        *int                     // pointer: NULL allowed
	Nickname   string                   `sqlmodel:"nullable"`
	Rank       *int                     `sqlmodel:"notnull,default=1"`
	TeamID     *int64                   `sqlmodel:"fk=mg_team.id,ondelete=set null,onupdate=cascade"`
	TeamName   *string                  `sqlmodel:"fk=mg_team.name,onupdate=cascade"`
	MentorID   *int64                   `sqlmodel:"fk=mg_hero.id,ondelete=set null"`
	Version    int64                    `sqlmodel:"version"`
	Powers     orm.RelatedMany[MgPower] `sqlmodel:"link=mg_hero_power"`
	Rivals     orm.RelatedMany[MgHero]  `sqlmodel:"link=mg_hero_rival(hero_id,rival_id)"`
	Ignored    string                   `sqlmodel:"-"`
}

type MgMembership struct {
	TeamID   int64  `sqlmodel:"pk,fk=mg_team.id,ondelete=cascade,onupdate=restrict"`
	HeroID   int64  `sqlmodel:"pk,fk=mg_hero.id,ondelete=restrict,onupdate=no action"`
	Role     string `sqlmodel:"size=20,default='member'"`
	JoinedAt time.Time
}

type MgMembershipNote struct {
	ID     int64 `sqlmodel:"pk,noautoincrement"`
	TeamID int64 `sqlmodel:"fk=mg_membership.team_id,ondelete=no action,unique_index=uix_mg_note_member"`
	HeroID int64 `sqlmodel:"fk=mg_membership.hero_id,ondelete=no action,unique_index=uix_mg_note_member"`
	Body   string
}

type MgAllTypes struct {
	ID uint64 `sqlmodel:"pk"`

	Int     int
	Int8    int8
	Int16   int16
	Int32   int32
	Int64   int64
	Uint    uint
	Uint8   uint8
	Uint16  uint16
	Uint32  uint32
	Uint64  uint64
	Float32 float32
	Float64 float64
	Bool    bool
	String  string
	Bytes   []byte
	Time    time.Time

	PInt     *int
	PInt8    *int8
	PInt16   *int16
	PInt32   *int32
	PInt64   *int64
	PUint    *uint
	PUint8   *uint8
	PUint16  *uint16
	PUint32  *uint32
	PUint64  *uint64
	PFloat32 *float32
	PFloat64 *float64
	PBool    *bool
	PString  *string
	PBytes   *[]byte
	PTime    *time.Time

	NullString  sql.NullString
	NullInt64   sql.NullInt64
	NullInt32   sql.NullInt32
	NullInt16   sql.NullInt16
	NullByte    sql.NullByte
	NullFloat64 sql.NullFloat64
	NullBool    sql.NullBool
	NullTime    sql.NullTime
	NullGeneric sql.Null[int64]

	Kind  MgPowerKind
	Level MgLevel
	Point MgPoint `sqlmodel:"type=VARCHAR(40)"`

	Raw  json.RawMessage
	Meta map[string]any `sqlmodel:"json"`
	Info MgInfo         `sqlmodel:"json"`
	Tags []string       `sqlmodel:"json"`

	Code  string  `sqlmodel:"size=8"`
	Hash  []byte  `sqlmodel:"size=32"`
	Price float64 `sqlmodel:"type=NUMERIC(10,2)"`
}

func mgModels() []any {
	return []any{&MgTeam{}, &MgPower{}, &MgHero{}, &MgMembership{}, &MgMembershipNote{}, &MgAllTypes{}}
}
