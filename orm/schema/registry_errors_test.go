package schema_test

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/relations"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ---- tag syntax and options ----

type UnkOpt struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"uniqe"`
}

type SizeAbc struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=abc"`
}

type SizeZero struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=0"`
}

type SizeNeg struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=-3"`
}

type SizeOnInt struct {
	ID int64 `sqlmodel:"pk"`
	N  int   `sqlmodel:"size=10"`
}

type FkNoDot struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64 `sqlmodel:"fk=nodot"`
}

type FkTrailingDot struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64 `sqlmodel:"fk=team."`
}

type OnDelBad struct {
	ID       int64  `sqlmodel:"pk"`
	ParentID *int64 `sqlmodel:"fk=on_del_bad.id,ondelete=explode"`
}

type OnUpdBad struct {
	ID       int64  `sqlmodel:"pk"`
	ParentID *int64 `sqlmodel:"fk=on_upd_bad.id,onupdate=sometimes"`
}

type TwiceOpt struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"unique,unique"`
}

type TwiceOptCase struct {
	ID int64 `sqlmodel:"pk,PK"`
}

type ColEmpty struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"column="`
}

type FkNoValue struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64 `sqlmodel:"fk"`
}

type IndexEmptyName struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"index="`
}

type PkWithValue struct {
	ID int64 `sqlmodel:"pk=1"`
}

type NullNotNull struct {
	ID   int64   `sqlmodel:"pk"`
	Name *string `sqlmodel:"nullable,notnull"`
}

type PkNullable struct {
	ID int64 `sqlmodel:"pk,nullable"`
}

type AutoString struct {
	ID string `sqlmodel:"pk,autoincrement"`
}

type AutoNonPk struct {
	ID int64 `sqlmodel:"pk"`
	N  int64 `sqlmodel:"autoincrement"`
}

type AutoComposite struct {
	A int64 `sqlmodel:"pk,autoincrement"`
	B int64 `sqlmodel:"pk"`
}

type AutoBoth struct {
	ID int64 `sqlmodel:"pk,autoincrement,noautoincrement"`
}

type VersionString struct {
	ID  int64  `sqlmodel:"pk"`
	Ver string `sqlmodel:"version"`
}

type VersionPointer struct {
	ID  int64  `sqlmodel:"pk"`
	Ver *int64 `sqlmodel:"version"`
}

type VersionPk struct {
	ID int64 `sqlmodel:"pk,version"`
}

type VersionTwice struct {
	ID int64 `sqlmodel:"pk"`
	V1 int64 `sqlmodel:"version"`
	V2 int64 `sqlmodel:"version"`
}

type OnDelNoFk struct {
	ID       int64  `sqlmodel:"pk"`
	ParentID *int64 `sqlmodel:"ondelete=cascade"`
}

type SetNullNotNull struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int64 `sqlmodel:"fk=set_null_not_null.id,ondelete=set null"`
}

type MalformedParen struct {
	ID int64 `sqlmodel:"pk"`
	N  int   `sqlmodel:"default=f(x"`
}

type MalformedQuote struct {
	ID int64  `sqlmodel:"pk"`
	S  string `sqlmodel:"default='abc"`
}

type EmptyOption struct {
	ID int64  `sqlmodel:"pk"`
	S  string `sqlmodel:"unique,,index"`
}

type IndexConflict struct {
	ID int64  `sqlmodel:"pk"`
	A  string `sqlmodel:"index=ix_ab"`
	B  string `sqlmodel:"unique_index=ix_ab"`
}

// ---- foreign keys ----

type FkUnkTable struct {
	ID      int64 `sqlmodel:"pk"`
	OwnerID int64 `sqlmodel:"fk=nowhere.id"`
}

type FkUnkCol struct {
	ID       int64  `sqlmodel:"pk"`
	ParentID *int64 `sqlmodel:"fk=fk_unk_col.nope"`
}

type FkNonUniqParent struct {
	ID   int64 `sqlmodel:"pk"`
	Code string
}

type FkNonUniqChild struct {
	ID         int64  `sqlmodel:"pk"`
	ParentCode string `sqlmodel:"fk=fk_non_uniq_parent.code"`
}

type FkMisParent struct {
	ID int64 `sqlmodel:"pk"`
}

type FkMisChild struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int32 `sqlmodel:"fk=fk_mis_parent.id"`
}

type FkMisRelChild struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int32
	Parent   relations.Lazy[FkMisParent]
}

type FkKindMisChild struct {
	ID       int64  `sqlmodel:"pk"`
	ParentID string `sqlmodel:"fk=fk_mis_parent.id"`
}

type CompDisParent struct {
	A int64 `sqlmodel:"pk"`
	B int64 `sqlmodel:"pk"`
}

type CompDisChild struct {
	ID int64 `sqlmodel:"pk"`
	PA int64 `sqlmodel:"fk=comp_dis_parent.a,ondelete=cascade"`
	PB int64 `sqlmodel:"fk=comp_dis_parent.b,ondelete=restrict"`
}

// ---- relations ----

type LazyBadTeam struct {
	ID int64 `sqlmodel:"pk"`
}

type LazyBadHero struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64
	Team   relations.Lazy[LazyBadTeam] `sqlmodel:"lazy=sometimes"`
}

type OrdTeam struct {
	ID     int64                          `sqlmodel:"pk"`
	Heroes relations.RelatedMany[OrdHero] `sqlmodel:"order_by=nope"`
}

type OrdHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID int64 `sqlmodel:"fk=ord_team.id"`
}

type OrdDirTeam struct {
	ID     int64                             `sqlmodel:"pk"`
	Heroes relations.RelatedMany[OrdDirHero] `sqlmodel:"order_by=name sideways"`
}

type OrdDirHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID int64 `sqlmodel:"fk=ord_dir_team.id"`
}

type OrdLazyHero struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64
	Team   relations.Lazy[LazyBadTeam] `sqlmodel:"order_by=id"`
}

type NoFkTeam struct {
	ID int64 `sqlmodel:"pk"`
}

type NoFkHero struct {
	ID   int64 `sqlmodel:"pk"`
	Team relations.Lazy[NoFkTeam]
}

type NoFkParent struct {
	ID   int64 `sqlmodel:"pk"`
	Kids relations.RelatedMany[NoFkKid]
}

type NoFkKid struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int64 // no fk= and no Lazy: not a foreign key
}

type AmbTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Heroes relations.RelatedMany[AmbHero]
}

type AmbHero struct {
	ID           int64  `sqlmodel:"pk"`
	TeamID       int64  `sqlmodel:"fk=amb_team.id"`
	FormerTeamID *int64 `sqlmodel:"fk=amb_team.id"`
}

type FkNameTeam struct {
	ID     int64                             `sqlmodel:"pk"`
	Heroes relations.RelatedMany[FkNameHero] `sqlmodel:"fk=Nope"`
}

type FkNameHero struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64 `sqlmodel:"fk=fk_name_team.id"`
}

type FkWrongTableHero struct {
	ID      int64                    `sqlmodel:"pk"`
	OwnerID int64                    `sqlmodel:"fk=fk_mis_parent.id"`
	Team    relations.Lazy[NoFkTeam] `sqlmodel:"fk=OwnerID"`
}

type FkMixHero struct {
	ID   int64 `sqlmodel:"pk"`
	PA   int64 `sqlmodel:"fk=comp_dis_parent.a"`
	PB   int64
	Comp relations.Lazy[CompDisParent] `sqlmodel:"fk=PA;PB"`
}

type FkCountHero struct {
	ID   int64 `sqlmodel:"pk"`
	PA   int64
	Comp relations.Lazy[CompDisParent] `sqlmodel:"fk=PA"`
}

type BpMissTeam struct {
	ID     int64                             `sqlmodel:"pk"`
	Heroes relations.RelatedMany[BpMissHero] `sqlmodel:"back_populates=Nope"`
}

type BpMissHero struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64 `sqlmodel:"fk=bp_miss_team.id"`
}

type BpOneTeam struct {
	ID     int64                            `sqlmodel:"pk"`
	Heroes relations.RelatedMany[BpOneHero] `sqlmodel:"back_populates=Team"`
}

type BpOneHero struct {
	ID     int64                     `sqlmodel:"pk"`
	TeamID int64                     `sqlmodel:"fk=bp_one_team.id"`
	Team   relations.Lazy[BpOneTeam] // no back_populates
}

type BpOtherTeam struct {
	ID     int64                              `sqlmodel:"pk"`
	Heroes relations.RelatedMany[BpOtherHero] `sqlmodel:"back_populates=Team"`
	Stars  relations.RelatedMany[BpOtherHero] `sqlmodel:"fk=TeamID"`
}

type BpOtherHero struct {
	ID     int64                       `sqlmodel:"pk"`
	TeamID int64                       `sqlmodel:"fk=bp_other_team.id"`
	Team   relations.Lazy[BpOtherTeam] `sqlmodel:"back_populates=Stars"`
}

type BpTargetTeam struct {
	ID     int64                               `sqlmodel:"pk"`
	Heroes relations.RelatedMany[BpTargetHero] `sqlmodel:"back_populates=Owner"`
}

type BpTargetHero struct {
	ID      int64 `sqlmodel:"pk"`
	TeamID  int64 `sqlmodel:"fk=bp_target_team.id"`
	OwnerID int64
	Owner   relations.Lazy[NoFkTeam] `sqlmodel:"back_populates=Heroes"`
}

type IncTeam struct {
	ID      int64                          `sqlmodel:"pk"`
	Formers relations.RelatedMany[IncHero] `sqlmodel:"fk=FormerTeamID,back_populates=Team"`
}

type IncHero struct {
	ID           int64                   `sqlmodel:"pk"`
	TeamID       int64                   `sqlmodel:"fk=inc_team.id"`
	FormerTeamID *int64                  `sqlmodel:"fk=inc_team.id"`
	Team         relations.Lazy[IncTeam] `sqlmodel:"back_populates=Formers"`
}

type IncKTeam struct {
	ID     int64                           `sqlmodel:"pk"`
	Heroes relations.RelatedMany[IncKHero] `sqlmodel:"link=inc_k_link,back_populates=Team"`
}

type IncKHero struct {
	ID     int64                    `sqlmodel:"pk"`
	TeamID int64                    `sqlmodel:"fk=inc_k_team.id"`
	Team   relations.Lazy[IncKTeam] `sqlmodel:"back_populates=Heroes"`
}

type CascadeM2O struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64
	Team   relations.Lazy[NoFkTeam] `sqlmodel:"cascade_delete"`
}

type PassiveTeam struct {
	ID     int64                              `sqlmodel:"pk"`
	Heroes relations.RelatedMany[PassiveHero] `sqlmodel:"passive_deletes"`
}

type PassiveHero struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64 `sqlmodel:"fk=passive_team.id"`
}

type OrphanM2M struct {
	ID    int64                           `sqlmodel:"pk"`
	Teams relations.RelatedMany[NoFkTeam] `sqlmodel:"link=orphan_link,delete_orphan"`
}

type PkOnLazy struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64
	Team   relations.Lazy[NoFkTeam] `sqlmodel:"pk"`
}

type LinkOnColumn struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"link=x"`
}

type CascadeOnColumn struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"cascade_delete"`
}

type MixParent struct {
	A    int64                         `sqlmodel:"pk"`
	B    int64                         `sqlmodel:"pk"`
	Kids relations.RelatedMany[MixKid] `sqlmodel:"fk=PA;PB"`
}

type MixKid struct {
	ID int64 `sqlmodel:"pk"`
	PA int64 `sqlmodel:"fk=mix_parent.a"`
	PB int64
}

type LazyTargetInt struct {
	ID int64 `sqlmodel:"pk"`
	N  relations.Lazy[int]
}

// ---- many-to-many ----

type LinkBothHero struct {
	ID     int64                           `sqlmodel:"pk"`
	Powers relations.RelatedMany[NoFkTeam] `sqlmodel:"link=hp,link_model=HP"`
}

type LinkModelMissing struct {
	ID     int64                           `sqlmodel:"pk"`
	Powers relations.RelatedMany[NoFkTeam] `sqlmodel:"link_model=NoSuchLink"`
}

// NotRegisteredLink is a valid struct that no test registers.
type NotRegisteredLink struct {
	A int64 `sqlmodel:"pk"`
	B int64 `sqlmodel:"pk"`
}

type LinkModelNotReg struct {
	ID     int64                           `sqlmodel:"pk"`
	Powers relations.RelatedMany[NoFkTeam] `sqlmodel:"link_model=NotRegisteredLink"`
}

type SelfM2M struct {
	ID      int64                          `sqlmodel:"pk"`
	Friends relations.RelatedMany[SelfM2M] `sqlmodel:"link=friends"`
}

type LinkOnLazy struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64
	Team   relations.Lazy[NoFkTeam] `sqlmodel:"link=x"`
}

type FkOnM2M struct {
	ID    int64                           `sqlmodel:"pk"`
	Teams relations.RelatedMany[NoFkTeam] `sqlmodel:"link=fk_m2m,fk=ID"`
}

type LinkMalformed struct {
	ID    int64                           `sqlmodel:"pk"`
	Teams relations.RelatedMany[NoFkTeam] `sqlmodel:"link=lm(a)"`
}

type LinkColCount struct {
	ID    int64                           `sqlmodel:"pk"`
	Teams relations.RelatedMany[NoFkTeam] `sqlmodel:"link=lc(a;b,c)"`
}

type LinkIsModel struct {
	ID    int64                           `sqlmodel:"pk"`
	Teams relations.RelatedMany[NoFkTeam] `sqlmodel:"link=no_fk_team"`
}

type LinkRedeclA struct {
	ID    int64                           `sqlmodel:"pk"`
	Teams relations.RelatedMany[NoFkTeam] `sqlmodel:"link=shared_link"`
}

type LinkRedeclB struct {
	ID    int64                           `sqlmodel:"pk"`
	Teams relations.RelatedMany[NoFkTeam] `sqlmodel:"link=shared_link"`
}

// ---- structure ----

type DupCol struct {
	ID int64  `sqlmodel:"pk"`
	A  string `sqlmodel:"column=x"`
	B  string `sqlmodel:"column=x"`
}

type DupBase struct {
	ID int64 `sqlmodel:"pk"`
}

type DupEmbedded struct {
	DupBase
	ID int64
}

type RelOwned struct {
	TeamID int64
	Team   relations.Lazy[NoFkTeam]
}

type DupRelation struct {
	ID int64 `sqlmodel:"pk"`
	RelOwned
	Team relations.Lazy[NoFkTeam] `sqlmodel:"fk=TeamID"`
}

type NoPk struct {
	Name string
}

type NoColumns struct{}

type Address struct {
	Street string
}

type UnsStruct struct {
	ID   int64 `sqlmodel:"pk"`
	Addr Address
}

type UnsMap struct {
	ID   int64 `sqlmodel:"pk"`
	Meta map[string]string
}

type UnsChan struct {
	ID int64 `sqlmodel:"pk"`
	C  chan int
}

type UnsFunc struct {
	ID int64 `sqlmodel:"pk"`
	F  func()
}

type UnsIntSlice struct {
	ID   int64 `sqlmodel:"pk"`
	Nums []int
}

type UnsPtrPtr struct {
	ID int64 `sqlmodel:"pk"`
	P  **int
}

type UnsIface struct {
	ID int64 `sqlmodel:"pk"`
	X  any
}

type UnsComplex struct {
	ID int64 `sqlmodel:"pk"`
	C  complex128
}

type UnsArray struct {
	ID int64 `sqlmodel:"pk"`
	A  [3]int
}

type ScanOnly struct{ s string }

func (s *ScanOnly) Scan(src any) error { s.s = fmt.Sprint(src); return nil }

type UnsScanOnly struct {
	ID int64 `sqlmodel:"pk"`
	S  ScanOnly
}

type ValueOnly struct{ s string }

func (v ValueOnly) Value() (driver.Value, error) { return v.s, nil }

type UnsValueOnly struct {
	ID int64 `sqlmodel:"pk"`
	V  ValueOnly
}

type ScanValue struct{ s string }

func (s *ScanValue) Scan(src any) error          { s.s = fmt.Sprint(src); return nil }
func (s ScanValue) Value() (driver.Value, error) { return s.s, nil }

type UnsScanValueNoType struct {
	ID int64 `sqlmodel:"pk"`
	V  ScanValue
}

type UnexportedTagged struct {
	ID   int64  `sqlmodel:"pk"`
	name string `sqlmodel:"column=n"`
}

type EmbBase struct {
	ID int64
}

type EmbWithOpts struct {
	EmbBase `sqlmodel:"pk"`
}

type RecEmb struct {
	*RecEmb
	ID int64 `sqlmodel:"pk"`
}

type EmptyTableName struct {
	ID int64 `sqlmodel:"pk"`
}

func (EmptyTableName) TableName() string { return "" }

type PanicTableName struct {
	ID int64 `sqlmodel:"pk"`
}

func (*PanicTableName) TableName() string { panic("boom") }

type SameTableA struct {
	ID int64 `sqlmodel:"pk"`
}

func (SameTableA) TableName() string { return "same" }

type SameTableB struct {
	ID int64 `sqlmodel:"pk"`
}

func (SameTableB) TableName() string { return "same" }

// ---- untagged foreign keys of an already registered model ----

type PubHero struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64 // becomes a foreign key only through a relation
}

type PubTeam struct {
	ID     int64                          `sqlmodel:"pk"`
	Heroes relations.RelatedMany[PubHero] `sqlmodel:"fk=TeamID"`
}

type PubLink struct {
	A int64 `sqlmodel:"pk"`
	B int64 `sqlmodel:"pk"`
}

type PubLinkUser struct {
	ID    int64                           `sqlmodel:"pk"`
	Teams relations.RelatedMany[NoFkTeam] `sqlmodel:"link_model=PubLink(A,B)"`
}

type regErrCase struct {
	name   string
	pre    []any // registered first, successfully
	models []any
	typ    string // Go type named by the error
	field  string // Go field named by the error ("" for model-level errors)
	tag    string // tag text named by the error
	reason string // part of the reason
}

func registrationErrorCases() []regErrCase {
	return []regErrCase{
		// tag syntax and options
		{name: "unknown option", models: []any{&UnkOpt{}}, typ: "UnkOpt", field: "Name", tag: "uniqe", reason: `unknown option "uniqe"`},
		{name: "size not a number", models: []any{&SizeAbc{}}, typ: "SizeAbc", field: "Name", tag: "size=abc", reason: "size=abc is not a positive integer"},
		{name: "size zero", models: []any{&SizeZero{}}, typ: "SizeZero", field: "Name", tag: "size=0", reason: "size=0 is not a positive integer"},
		{name: "size negative", models: []any{&SizeNeg{}}, typ: "SizeNeg", field: "Name", tag: "size=-3", reason: "not a positive integer"},
		{name: "size on int", models: []any{&SizeOnInt{}}, typ: "SizeOnInt", field: "N", tag: "size=10", reason: "size is only valid on string"},
		{name: "fk without dot", models: []any{&FkNoDot{}}, typ: "FkNoDot", field: "TeamID", tag: "fk=nodot", reason: "must name TABLE.COLUMN"},
		{name: "fk trailing dot", models: []any{&FkTrailingDot{}}, typ: "FkTrailingDot", field: "TeamID", tag: "fk=team.", reason: "must name TABLE.COLUMN"},
		{name: "ondelete unknown action", models: []any{&OnDelBad{}}, typ: "OnDelBad", field: "ParentID", tag: "fk=on_del_bad.id,ondelete=explode", reason: "ondelete=explode"},
		{name: "onupdate unknown action", models: []any{&OnUpdBad{}}, typ: "OnUpdBad", field: "ParentID", tag: "fk=on_upd_bad.id,onupdate=sometimes", reason: "onupdate=sometimes"},
		{name: "option given twice", models: []any{&TwiceOpt{}}, typ: "TwiceOpt", field: "Name", tag: "unique,unique", reason: `option "unique" given twice`},
		{name: "option given twice in other case", models: []any{&TwiceOptCase{}}, typ: "TwiceOptCase", field: "ID", tag: "pk,PK", reason: `option "pk" given twice`},
		{name: "value missing", models: []any{&ColEmpty{}}, typ: "ColEmpty", field: "Name", tag: "column=", reason: `option "column" needs a value`},
		{name: "value missing without equals", models: []any{&FkNoValue{}}, typ: "FkNoValue", field: "TeamID", tag: "fk", reason: `option "fk" needs a value`},
		{name: "index with empty name", models: []any{&IndexEmptyName{}}, typ: "IndexEmptyName", field: "Name", tag: "index=", reason: `option "index" has an empty name`},
		{name: "value on a flag", models: []any{&PkWithValue{}}, typ: "PkWithValue", field: "ID", tag: "pk=1", reason: `option "pk" takes no value`},
		{name: "nullable and notnull", models: []any{&NullNotNull{}}, typ: "NullNotNull", field: "Name", tag: "nullable,notnull", reason: "nullable and notnull contradict"},
		{name: "pk nullable", models: []any{&PkNullable{}}, typ: "PkNullable", field: "ID", tag: "pk,nullable", reason: "primary key column cannot be nullable"},
		{name: "autoincrement on string", models: []any{&AutoString{}}, typ: "AutoString", field: "ID", tag: "pk,autoincrement", reason: "autoincrement needs an integer column"},
		{name: "autoincrement on non-pk", models: []any{&AutoNonPk{}}, typ: "AutoNonPk", field: "N", tag: "autoincrement", reason: "autoincrement is only valid on the primary key"},
		{name: "autoincrement in composite pk", models: []any{&AutoComposite{}}, typ: "AutoComposite", field: "A", tag: "pk,autoincrement", reason: "composite primary key"},
		{name: "autoincrement and noautoincrement", models: []any{&AutoBoth{}}, typ: "AutoBoth", field: "ID", tag: "pk,autoincrement,noautoincrement", reason: "contradict"},
		{name: "version on string", models: []any{&VersionString{}}, typ: "VersionString", field: "Ver", tag: "version", reason: "version needs a non-pointer integer field, not string"},
		{name: "version on pointer", models: []any{&VersionPointer{}}, typ: "VersionPointer", field: "Ver", tag: "version", reason: "version needs a non-pointer integer field, not *int64"},
		{name: "version on pk", models: []any{&VersionPk{}}, typ: "VersionPk", field: "ID", tag: "pk,version", reason: "primary key cannot be the version column"},
		{name: "two version columns", models: []any{&VersionTwice{}}, typ: "VersionTwice", field: "V2", tag: "version", reason: "a second version column (the first is V1)"},
		{name: "ondelete without fk", models: []any{&OnDelNoFk{}}, typ: "OnDelNoFk", field: "ParentID", tag: "ondelete=cascade", reason: "ondelete needs fk="},
		{name: "ondelete set null on not null", models: []any{&SetNullNotNull{}}, typ: "SetNullNotNull", field: "ParentID", tag: "fk=set_null_not_null.id,ondelete=set null", reason: "set null on a NOT NULL column"},
		{name: "unbalanced parenthesis", models: []any{&MalformedParen{}}, typ: "MalformedParen", field: "N", tag: "default=f(x", reason: "malformed tag"},
		{name: "unterminated quote", models: []any{&MalformedQuote{}}, typ: "MalformedQuote", field: "S", tag: "default='abc", reason: "malformed tag"},
		{name: "empty option", models: []any{&EmptyOption{}}, typ: "EmptyOption", field: "S", tag: "unique,,index", reason: "empty option"},
		{name: "index both unique and not", models: []any{&IndexConflict{}}, typ: "IndexConflict", field: "B", tag: "unique_index=ix_ab", reason: `index "ix_ab" is declared both unique and not unique`},

		// foreign keys
		{name: "fk to unknown table", models: []any{&FkUnkTable{}}, typ: "FkUnkTable", field: "OwnerID", tag: "fk=nowhere.id", reason: `fk to unknown table "nowhere"`},
		{name: "fk to unknown column", models: []any{&FkUnkCol{}}, typ: "FkUnkCol", field: "ParentID", tag: "fk=fk_unk_col.nope", reason: `fk to unknown column "nope"`},
		{name: "fk to non-unique column", models: []any{&FkNonUniqParent{}, &FkNonUniqChild{}}, typ: "FkNonUniqChild", field: "ParentCode", tag: "fk=fk_non_uniq_parent.code", reason: "neither the primary key nor unique"},
		{name: "fk type mismatch int32 to int64", models: []any{&FkMisParent{}, &FkMisChild{}}, typ: "FkMisChild", field: "ParentID", tag: "fk=fk_mis_parent.id", reason: "foreign key type int32 does not match"},
		{name: "fk kind mismatch string to int64", models: []any{&FkMisParent{}, &FkKindMisChild{}}, typ: "FkKindMisChild", field: "ParentID", tag: "fk=fk_mis_parent.id", reason: "foreign key type string does not match"},
		{name: "fk type mismatch through relation", models: []any{&FkMisRelChild{}}, typ: "FkMisRelChild", field: "ParentID", reason: "foreign key type int32 does not match"},
		{name: "composite fk disagrees on ondelete", models: []any{&CompDisParent{}, &CompDisChild{}}, typ: "CompDisChild", field: "PB", tag: "fk=comp_dis_parent.b,ondelete=restrict", reason: "disagree on ondelete"},

		// relations
		{name: "lazy value unknown", models: []any{&LazyBadHero{}}, typ: "LazyBadHero", field: "Team", tag: "lazy=sometimes", reason: "lazy=sometimes"},
		{name: "order_by unknown column", models: []any{&OrdTeam{}}, typ: "OrdTeam", field: "Heroes", tag: "order_by=nope", reason: `no field or column "nope"`},
		{name: "order_by unknown direction", models: []any{&OrdDirTeam{}}, typ: "OrdDirTeam", field: "Heroes", tag: "order_by=name sideways", reason: "want COLUMN, -COLUMN"},
		{name: "order_by on Lazy", models: []any{&OrdLazyHero{}}, typ: "OrdLazyHero", field: "Team", tag: "order_by=id", reason: "order_by is only valid on RelatedMany"},
		{name: "Lazy without FK either side", models: []any{&NoFkHero{}}, typ: "NoFkHero", field: "Team", reason: "cannot resolve the foreign key"},
		{name: "RelatedMany without FK in target", models: []any{&NoFkParent{}}, typ: "NoFkParent", field: "Kids", reason: "cannot resolve the foreign key"},
		{name: "ambiguous FK", models: []any{&AmbTeam{}}, typ: "AmbTeam", field: "Heroes", reason: "ambiguous foreign key"},
		{name: "fk= naming no field", models: []any{&FkNameTeam{}}, typ: "FkNameTeam", field: "Heroes", tag: "fk=Nope", reason: "fk=Nope names no field"},
		{name: "fk= field references another table", models: []any{&FkWrongTableHero{}}, typ: "FkWrongTableHero", field: "Team", tag: "fk=OwnerID", reason: `references table "fk_mis_parent"`},
		{name: "fk= mixes tagged and untagged", models: []any{&FkMixHero{}}, typ: "FkMixHero", field: "Comp", tag: "fk=PA;PB", reason: "either all or none"},
		{name: "fk= too few for composite pk", models: []any{&FkCountHero{}}, typ: "FkCountHero", field: "Comp", tag: "fk=PA", reason: "cannot reference the 2-column primary key"},
		{name: "back_populates names a missing field", models: []any{&BpMissTeam{}}, typ: "BpMissTeam", field: "Heroes", tag: "back_populates=Nope", reason: "has no relation field Nope"},
		{name: "back_populates not pointing back", models: []any{&BpOneTeam{}}, typ: "BpOneTeam", field: "Heroes", tag: "back_populates=Team", reason: "does not point back"},
		{name: "back_populates pointing to another field", models: []any{&BpOtherTeam{}}, typ: "BpOtherTeam", field: "Heroes", tag: "back_populates=Team", reason: "must declare back_populates=Heroes"},
		{name: "back_populates to a relation of another target", models: []any{&BpTargetTeam{}}, typ: "BpTargetTeam", field: "Heroes", tag: "back_populates=Owner", reason: "targets schema_test.NoFkTeam"},
		{name: "back_populates over different FKs", models: []any{&IncTeam{}}, typ: "IncTeam", field: "Formers", tag: "fk=FormerTeamID,back_populates=Team", reason: "is not the other side"},
		{name: "back_populates between many-to-many and many-to-one", models: []any{&IncKTeam{}}, typ: "IncKTeam", field: "Heroes", tag: "link=inc_k_link,back_populates=Team", reason: "is not the other side"},
		{name: "cascade_delete on many-to-one", models: []any{&CascadeM2O{}}, typ: "CascadeM2O", field: "Team", tag: "cascade_delete", reason: "cascade_delete is only valid on one-to-many"},
		{name: "passive_deletes without cascade_delete", models: []any{&PassiveTeam{}}, typ: "PassiveTeam", field: "Heroes", tag: "passive_deletes", reason: "passive_deletes needs cascade_delete"},
		{name: "delete_orphan on many-to-many", models: []any{&OrphanM2M{}}, typ: "OrphanM2M", field: "Teams", tag: "link=orphan_link,delete_orphan", reason: "delete_orphan is only valid"},
		{name: "column option on a relation", models: []any{&PkOnLazy{}}, typ: "PkOnLazy", field: "Team", tag: "pk", reason: `option "pk" is not valid on a relation field`},
		{name: "relation option on a column", models: []any{&LinkOnColumn{}}, typ: "LinkOnColumn", field: "Name", tag: "link=x", reason: `option "link" is not valid on a column`},
		{name: "relation flag on a column", models: []any{&CascadeOnColumn{}}, typ: "CascadeOnColumn", field: "Name", tag: "cascade_delete", reason: `option "cascade_delete" is not valid on a column`},
		{name: "one-to-many fk= mixes tagged and untagged", models: []any{&MixParent{}}, typ: "MixParent", field: "Kids", tag: "fk=PA;PB", reason: "either all or none"},
		{name: "relation target not a struct", models: []any{&LazyTargetInt{}}, typ: "LazyTargetInt", field: "N", reason: "relation target int is not a struct"},

		// many-to-many
		{name: "link and link_model", models: []any{&LinkBothHero{}}, typ: "LinkBothHero", field: "Powers", tag: "link=hp,link_model=HP", reason: "link and link_model exclude each other"},
		{name: "link_model unknown type", models: []any{&LinkModelMissing{}}, typ: "LinkModelMissing", field: "Powers", tag: "link_model=NoSuchLink", reason: "link_model NoSuchLink is not a registered model"},
		{name: "link_model type not registered", models: []any{&LinkModelNotReg{}}, typ: "LinkModelNotReg", field: "Powers", tag: "link_model=NotRegisteredLink", reason: "is not a registered model"},
		{name: "self many-to-many without columns", models: []any{&SelfM2M{}}, typ: "SelfM2M", field: "Friends", tag: "link=friends", reason: "self-referencing many-to-many needs link=friends(local_column,remote_column)"},
		{name: "link on Lazy", models: []any{&LinkOnLazy{}}, typ: "LinkOnLazy", field: "Team", tag: "link=x", reason: "only valid on RelatedMany"},
		{name: "fk on many-to-many", models: []any{&FkOnM2M{}}, typ: "FkOnM2M", field: "Teams", tag: "link=fk_m2m,fk=ID", reason: "fk is not valid on a many-to-many"},
		{name: "link malformed", models: []any{&LinkMalformed{}}, typ: "LinkMalformed", field: "Teams", tag: "link=lm(a)", reason: "want NAME(local,remote)"},
		{name: "link column count", models: []any{&LinkColCount{}}, typ: "LinkColCount", field: "Teams", tag: "link=lc(a;b,c)", reason: "do not match the primary keys"},
		{name: "link table is a model table", models: []any{&LinkIsModel{}}, typ: "LinkIsModel", field: "Teams", tag: "link=no_fk_team", reason: "use link_model=NoFkTeam"},
		{name: "link table redeclared with other columns", models: []any{&LinkRedeclA{}, &LinkRedeclB{}}, typ: "LinkRedeclB", field: "Teams", tag: "link=shared_link", reason: `link table "shared_link" is already declared with other columns`},

		// structure
		{name: "duplicate column", models: []any{&DupCol{}}, typ: "DupCol", field: "B", tag: "column=x", reason: `duplicate column "x" (also A)`},
		{name: "duplicate column through embedding", models: []any{&DupEmbedded{}}, typ: "DupEmbedded", field: "ID", reason: `duplicate column "id" (also DupBase.ID)`},
		{name: "duplicate relation through embedding", models: []any{&DupRelation{}}, typ: "DupRelation", field: "Team", tag: "fk=TeamID", reason: "duplicate relation name Team"},
		{name: "no primary key", models: []any{&NoPk{}}, typ: "NoPk", reason: "no primary key"},
		{name: "no columns", models: []any{&NoColumns{}}, typ: "NoColumns", reason: "no columns"},
		{name: "struct without json", models: []any{&UnsStruct{}}, typ: "UnsStruct", field: "Addr", reason: "unsupported type schema_test.Address"},
		{name: "map without json", models: []any{&UnsMap{}}, typ: "UnsMap", field: "Meta", reason: "unsupported type map[string]string"},
		{name: "chan", models: []any{&UnsChan{}}, typ: "UnsChan", field: "C", reason: "unsupported type chan int"},
		{name: "func", models: []any{&UnsFunc{}}, typ: "UnsFunc", field: "F", reason: "unsupported type func()"},
		{name: "int slice", models: []any{&UnsIntSlice{}}, typ: "UnsIntSlice", field: "Nums", reason: "unsupported type []int"},
		{name: "pointer to pointer", models: []any{&UnsPtrPtr{}}, typ: "UnsPtrPtr", field: "P", reason: "unsupported type **int"},
		{name: "interface", models: []any{&UnsIface{}}, typ: "UnsIface", field: "X", reason: "unsupported type interface {}"},
		{name: "complex", models: []any{&UnsComplex{}}, typ: "UnsComplex", field: "C", reason: "unsupported type complex128"},
		{name: "array", models: []any{&UnsArray{}}, typ: "UnsArray", field: "A", reason: "unsupported type [3]int"},
		{name: "Scanner-only type", models: []any{&UnsScanOnly{}}, typ: "UnsScanOnly", field: "S", reason: "implements only one of sql.Scanner and driver.Valuer"},
		{name: "Valuer-only type", models: []any{&UnsValueOnly{}}, typ: "UnsValueOnly", field: "V", reason: "implements only one of sql.Scanner and driver.Valuer"},
		{name: "Scanner+Valuer struct without type=", models: []any{&UnsScanValueNoType{}}, typ: "UnsScanValueNoType", field: "V", reason: "add type=SQLTYPE"},
		{name: "unexported field with a tag", models: []any{&UnexportedTagged{}}, typ: "UnexportedTagged", field: "name", tag: "column=n", reason: "unexported fields cannot be columns"},
		{name: "embedded struct with options", models: []any{&EmbWithOpts{}}, typ: "EmbWithOpts", field: "EmbBase", tag: "pk", reason: "an embedded struct takes no options"},
		{name: "recursive embedding", models: []any{&RecEmb{}}, typ: "RecEmb", field: "RecEmb", reason: "embeds itself recursively"},
		{name: "TableName returns empty", models: []any{&EmptyTableName{}}, typ: "EmptyTableName", reason: "TableName() returned an empty name"},
		{name: "TableName panics", models: []any{&PanicTableName{}}, typ: "PanicTableName", reason: "TableName() returned an empty name"},
		{name: "two types one table", models: []any{&SameTableA{}, &SameTableB{}}, typ: "SameTableB", reason: `table "same" is also the table of schema_test.SameTableA`},
		{name: "table of an already registered model", pre: []any{&SameTableA{}}, models: []any{&SameTableB{}}, typ: "SameTableB", reason: `table "same" is already the table of registered model schema_test.SameTableA`},
		{name: "untagged FK of a registered model", pre: []any{&PubHero{}}, models: []any{&PubTeam{}}, typ: "PubTeam", field: "Heroes", tag: "fk=TeamID", reason: "of the already registered model schema_test.PubHero need fk=pub_team.<column>"},
		{name: "untagged columns of a registered link_model", pre: []any{&PubLink{}}, models: []any{&PubLinkUser{}}, typ: "PubLinkUser", field: "Teams", tag: "link_model=PubLink(A,B)", reason: "link_model schema_test.PubLink is already registered"},
	}
}

func TestRegisterErrors(t *testing.T) {
	for _, tc := range registrationErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := schema.NewRegistry()
			if len(tc.pre) > 0 {
				if _, err, p := safeRegister(r, tc.pre...); p != nil || err != nil {
					t.Fatalf("case %q: registering the setup models: err=%v panic=%v", tc.name, err, p)
				}
			}
			before := len(r.Models())
			ms, err, p := safeRegister(r, tc.models...)
			if p != nil {
				t.Fatalf("case %q: Register panicked: %v", tc.name, p)
			}
			if err == nil {
				t.Fatalf("case %q: Register succeeded, want an error naming %s.%s (%s)", tc.name, tc.typ, tc.field, tc.reason)
			}
			if ms != nil {
				t.Errorf("Register returned models %v together with an error", ms)
			}
			if !errors.Is(err, schema.ErrInvalidTag) {
				t.Errorf("errors.Is(err, ErrInvalidTag) = false for %v", err)
			}
			var first *schema.TagError
			if !errors.As(err, &first) {
				t.Fatalf("errors.As(err, *TagError) = false for %v", err)
			}
			wantType := "schema_test." + tc.typ
			var hit *schema.TagError
			for _, te := range tagErrors(t, err) {
				if te.Type == wantType && te.Field == tc.field && strings.Contains(te.Reason, tc.reason) {
					hit = te
					break
				}
			}
			if hit == nil {
				t.Fatalf("no error names %s field %q with reason %q; got:\n%v", wantType, tc.field, tc.reason, err)
			}
			if hit.Tag != tc.tag {
				t.Errorf("TagError.Tag = %q, want %q", hit.Tag, tc.tag)
			}
			msg := hit.Error()
			want := wantType
			if tc.field != "" {
				want += "." + tc.field
			}
			mustContain(t, msg, want, tc.reason)
			if tc.tag != "" {
				mustContain(t, msg, fmt.Sprintf("(tag %q)", tc.tag))
			}
			mustContain(t, err.Error(), msg)
			if got := len(r.Models()); got != before {
				t.Errorf("a failed Register published %d models", got-before)
			}
			for _, m := range tc.models {
				if _, ok := r.Lookup(reflectTypeOf(m)); ok {
					t.Errorf("%T is published after a failed Register", m)
				}
			}
		})
	}
}

// TestRegisterErrorsDistinctCases guards the table above against
// copy-paste: every case must have a unique name.
func TestRegisterErrorsDistinctCases(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range registrationErrorCases() {
		if seen[tc.name] {
			t.Errorf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
	}
}

type ValidAlongside struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

type ValidParentOfBad struct {
	ID   int64                         `sqlmodel:"pk"`
	Kids relations.RelatedMany[BadKid] `sqlmodel:"cascade_delete"`
}

type BadKid struct {
	ID       int64  `sqlmodel:"pk"`
	ParentID int64  `sqlmodel:"fk=valid_parent_of_bad.id"`
	Bad      string `sqlmodel:"size=big"`
}

func TestRegisterInvalidSetPublishesNothing(t *testing.T) {
	t.Run("valid model in the same call", func(t *testing.T) {
		r := schema.NewRegistry()
		if _, err := r.Register(&ValidAlongside{}, &UnkOpt{}); err == nil {
			t.Fatal("Register succeeded with an invalid model")
		}
		if m, ok := r.Lookup(reflectTypeOf(&ValidAlongside{})); ok {
			t.Errorf("valid model published after a failed Register: %v", m.Name)
		}
		if _, ok := r.Table("valid_alongside"); ok {
			t.Error("Table finds the valid model after a failed Register")
		}
		if n := len(r.Models()); n != 0 {
			t.Errorf("Models() has %d entries after a failed Register", n)
		}
		if _, err := r.ModelOf(&ValidAlongside{}); !errors.Is(err, schema.ErrUnmapped) {
			t.Errorf("ModelOf after a failed Register: %v, want ErrUnmapped", err)
		}
		// The valid model alone registers afterwards.
		ms, err := r.Register(&ValidAlongside{})
		if err != nil || len(ms) != 1 || ms[0].Table != "valid_alongside" {
			t.Fatalf("Register(valid) after a failure = %v, %v", ms, err)
		}
	})
	t.Run("model reached through a relation", func(t *testing.T) {
		r := schema.NewRegistry()
		if _, err := r.Register(&ValidParentOfBad{}); err == nil {
			t.Fatal("Register succeeded although the related model is invalid")
		} else {
			found := false
			for _, te := range tagErrors(t, err) {
				if te.Type == "schema_test.BadKid" && te.Field == "Bad" {
					found = true
				}
			}
			if !found {
				t.Errorf("error does not name BadKid.Bad: %v", err)
			}
		}
		for _, v := range []any{&ValidParentOfBad{}, &BadKid{}} {
			if _, ok := r.Lookup(reflectTypeOf(v)); ok {
				t.Errorf("%T published after a failed Register", v)
			}
		}
		if n := len(r.Models()); n != 0 {
			t.Errorf("Models() = %v after a failed Register", tablesOf(r.Models()))
		}
	})
}

type MultiBad struct {
	ID int64  `sqlmodel:"pk"`
	A  string `sqlmodel:"uniqe"`
	B  string `sqlmodel:"size=x"`
	C  chan int
}

func TestRegisterReportsEveryError(t *testing.T) {
	t.Run("several models", func(t *testing.T) {
		r := schema.NewRegistry()
		_, err := r.Register(&UnkOpt{}, &NoPk{}, &SizeAbc{})
		if err == nil {
			t.Fatal("Register succeeded")
		}
		got := map[string]bool{}
		for _, te := range tagErrors(t, err) {
			got[te.Type] = true
		}
		for _, want := range []string{"schema_test.UnkOpt", "schema_test.NoPk", "schema_test.SizeAbc"} {
			if !got[want] {
				t.Errorf("joined error does not report %s:\n%v", want, err)
			}
		}
		if _, ok := err.(interface{ Unwrap() []error }); !ok {
			t.Errorf("error %T is not an errors.Join", err)
		}
	})
	t.Run("several fields of one model", func(t *testing.T) {
		r := schema.NewRegistry()
		_, err := r.Register(&MultiBad{})
		if err == nil {
			t.Fatal("Register succeeded")
		}
		fields := map[string]bool{}
		for _, te := range tagErrors(t, err) {
			if te.Type != "schema_test.MultiBad" {
				t.Errorf("unexpected type in %v", te)
			}
			fields[te.Field] = true
		}
		eq(t, "fields with errors", fields, map[string]bool{"A": true, "B": true, "C": true})
	})
}

func TestRegisterRejectsNonStructs(t *testing.T) {
	cases := []struct {
		name  string
		model any
	}{
		{"nil", nil},
		{"int", 42},
		{"pointer to int", ptr(1)},
		{"string slice", []string{"a"}},
		{"reflect.Type of a map", reflectTypeOf(map[string]int{})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := schema.NewRegistry()
			_, err, p := safeRegister(r, tc.model)
			if p != nil {
				t.Fatalf("case %q panicked: %v", tc.name, p)
			}
			if !errors.Is(err, schema.ErrUnmapped) {
				t.Errorf("Register(%v) error = %v, want ErrUnmapped", tc.model, err)
			}
		})
	}
}

func TestTagErrorFormat(t *testing.T) {
	cases := []struct {
		name string
		err  *schema.TagError
		want string
	}{
		{"model level", &schema.TagError{Type: "main.Hero", Reason: "no primary key"}, "orm/schema: main.Hero: no primary key"},
		{"field", &schema.TagError{Type: "main.Hero", Field: "Base.ID", Reason: "bad"}, "orm/schema: main.Hero.Base.ID: bad"},
		{"field and tag", &schema.TagError{Type: "main.Hero", Field: "Name", Tag: "uniqe", Reason: `unknown option "uniqe"`}, `orm/schema: main.Hero.Name (tag "uniqe"): unknown option "uniqe"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eq(t, "Error()", tc.err.Error(), tc.want)
			if !errors.Is(tc.err, schema.ErrInvalidTag) {
				t.Error("TagError does not match ErrInvalidTag")
			}
			if errors.Is(tc.err, schema.ErrUnmapped) {
				t.Error("TagError matches ErrUnmapped")
			}
		})
	}
}
