package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// maxBulk bounds the rows of one bulk action.
const maxBulk = 500

// deletePage is what the delete confirmation shows.
type deletePage struct {
	Rows    []string // display text of the rows to delete
	Keys    []string // their encoded keys
	Effects []effect
	Blocked bool
	Error   string
	Version string
	Action  string // where the confirmation posts, relative to the model
}

// effect is what a delete does to the rows of another table that refer to
// the deleted ones.
type effect struct {
	Table  string
	What   string // "deleted", "set to NULL", "unlinked", "blocks the delete"
	Count  int64
	Sample []string
}

// confirmDelete serves GET /{table}/{key}/delete: what the delete will do.
func (h *Handler) confirmDelete(w http.ResponseWriter, r *http.Request, m *model, seg string) {
	if !h.authorize(w, r, m, ActionDelete) {
		return
	}
	ctx := r.Context()
	s := orm.NewSession(h.db)
	defer s.Close()
	obj := h.load(ctx, w, r, s, m, seg)
	if obj == nil {
		return
	}
	page := &deletePage{Keys: []string{seg}, Rows: []string{m.display(obj)}, Action: url.PathEscape(seg) + "/delete"}
	if v := m.meta.Version; v != nil {
		cur, _ := v.Value(m.pointer(obj))
		page.Version = formatValue(v, cur)
	}
	h.showDelete(ctx, w, r, m, []any{obj}, page, http.StatusOK)
}

// showDelete computes the cascade preview and renders the confirmation.
func (h *Handler) showDelete(ctx context.Context, w http.ResponseWriter, r *http.Request, m *model, objs []any, page *deletePage, status int) {
	effects, err := h.cascade(ctx, m, objs)
	if err != nil {
		h.internal(w, r, "cascade preview", err)
		return
	}
	page.Effects = effects
	for _, e := range effects {
		page.Blocked = page.Blocked || (e.What == whatBlocks && e.Count > 0)
	}
	h.render(w, r, status, "delete", pageData{Model: m, Page: page})
}

const whatBlocks = "blocks the delete"

// cascade lists, for every table with a foreign key to m, how many of its
// rows refer to objs and what deleting objs does to them: the rules of the
// session's delete cascade (docs/relationships.md#cascades) and of the
// foreign key's ON DELETE.
func (h *Handler) cascade(ctx context.Context, m *model, objs []any) ([]effect, error) {
	var out []effect
	for _, rm := range h.db.Registry().Models() {
		for _, fk := range rm.ForeignKeys {
			if fk.RefModel == nil || fk.RefModel.Table != m.meta.Table {
				continue
			}
			what := deleteRule(m.meta, rm, fk)
			n, sample, err := h.referring(ctx, m, rm, fk, objs)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				out = append(out, effect{Table: rm.Table, What: what, Count: n, Sample: sample})
			}
		}
	}
	return out, nil
}

// deleteRule names what deleting a row of parent does to the rows of child
// that refer to it through fk.
func deleteRule(parent, child *schema.Model, fk *schema.ForeignKey) string {
	if child.Link {
		return "unlinked"
	}
	var rel *schema.Relation
	for _, r := range parent.Relations {
		if r.Target == child && (r.Kind == schema.OneToMany || r.Kind == schema.OneToOne) && schema.SameFields(r.RemoteFields, fk.Fields) {
			rel = r
		}
	}
	for _, r := range parent.Relations {
		if r.Link != nil && r.Link.Model == child {
			return "unlinked"
		}
	}
	switch {
	case rel != nil && rel.CascadeDelete:
		return "deleted"
	case fk.OnDelete == "CASCADE":
		return "deleted"
	case fk.OnDelete == "SET NULL":
		return "set to NULL"
	case rel != nil && fk.Nullable() && fk.OnDelete == "":
		return "set to NULL"
	}
	return whatBlocks
}

// referring counts the rows of child whose fk refers to one of objs, and
// names up to five of them when the admin shows child.
func (h *Handler) referring(ctx context.Context, m *model, child *schema.Model, fk *schema.ForeignKey, objs []any) (int64, []string, error) {
	d := h.db.Dialect()
	var ors []string
	var args []any
	for _, o := range objs {
		p := m.pointer(o)
		var ands []string
		for i, col := range fk.RefColumns {
			f, _ := m.meta.FieldByColumn(col)
			v, err := f.Value(p)
			if err != nil {
				return 0, nil, err
			}
			args = append(args, v)
			ands = append(ands, d.Quote(fk.Columns[i])+" = "+d.Placeholder(len(args)))
		}
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	if len(ors) == 0 {
		return 0, nil, nil
	}
	var n int64
	q := "SELECT COUNT(*) FROM " + d.Quote(child.Table) + " WHERE " + strings.Join(ors, " OR ")
	if err := h.db.SQL().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, nil, err
	}
	cm := h.models[child.Table]
	if cm == nil || n == 0 {
		return n, nil, nil
	}
	var conds []orm.Expr
	for _, o := range objs {
		p := m.pointer(o)
		var ands []orm.Expr
		for i, col := range fk.RefColumns {
			f, _ := m.meta.FieldByColumn(col)
			v, _ := f.Value(p)
			ands = append(ands, orm.Col(fk.Columns[i]).Eq(v))
		}
		conds = append(conds, orm.And(ands...))
	}
	s := orm.NewSession(h.db)
	defer s.Close()
	rows, err := cm.ops.find(ctx, s, []orm.Expr{orm.Or(conds...)}, nil, 5, 0)
	if err != nil {
		return 0, nil, err
	}
	sample := make([]string, len(rows))
	for i, row := range rows {
		sample[i] = cm.display(row)
	}
	return n, sample, nil
}

// delete serves POST /{table}/{key}/delete.
func (h *Handler) delete(w http.ResponseWriter, r *http.Request, m *model, seg string) {
	if !h.authorize(w, r, m, ActionDelete) {
		return
	}
	form, ok := parseForm(w, r)
	if !ok {
		h.fail(w, r, http.StatusBadRequest, "malformed form")
		return
	}
	h.deleteRows(w, r, m, []string{seg}, form.Get("_version"), url.PathEscape(seg)+"/delete")
}

// deleteRows deletes the rows of keys, their cascade and their audit
// entries in one transaction, and redirects to the list; a refused delete
// shows the confirmation again with the reason. version, when not empty, is
// the version the confirmation was opened with (single deletes).
func (h *Handler) deleteRows(w http.ResponseWriter, r *http.Request, m *model, keys []string, version, action string) {
	ctx := r.Context()
	s := orm.NewSession(h.db)
	defer s.Close()
	if err := s.Begin(ctx); err != nil {
		h.internal(w, r, "begin", err)
		return
	}
	var objs []any
	for _, k := range keys {
		obj := h.load(ctx, w, r, s, m, k)
		if obj == nil {
			return
		}
		objs = append(objs, obj)
	}
	errs := map[string]string{}
	if v := m.meta.Version; v != nil && version != "" {
		cur, _ := v.Value(m.pointer(objs[0]))
		if formatValue(v, cur) != version {
			errs[""] = "This row was changed by someone else since you opened the confirmation; look at it again before deleting."
		}
	}
	var err error
	if len(errs) == 0 {
		err = h.commitDelete(ctx, s, r, m, objs)
		if isStale(err) {
			errs[""] = "This row was changed or deleted by someone else since you opened the confirmation."
		} else if h.writeErrors(err, m, errs) {
			h.internal(w, r, "delete", err)
			return
		}
	}
	if len(errs) > 0 {
		_ = s.Rollback(ctx)
		h.refuseDelete(ctx, w, r, m, keys, action, errs)
		return
	}
	texts := make([]string, len(keys))
	for i, k := range keys {
		texts[i] = decodeForDisplay(k)
	}
	http.Redirect(w, r, basePath(r)+"/"+m.meta.Table+"?deleted="+url.QueryEscape(strings.Join(texts, "; ")), http.StatusSeeOther)
}

// commitDelete deletes objs with their audit entries and commits.
func (h *Handler) commitDelete(ctx context.Context, s *orm.Session, r *http.Request, m *model, objs []any) error {
	for _, obj := range objs {
		if err := h.audit(s, r, m, ActionDelete, m.keyOf(obj), m.snapshot(obj), nil, nil); err != nil {
			return err
		}
		if err := s.Delete(obj); err != nil {
			return err
		}
	}
	return s.Commit(ctx)
}

// refuseDelete shows the confirmation again, with the reason the delete
// failed, the rows reloaded by a fresh session.
func (h *Handler) refuseDelete(ctx context.Context, w http.ResponseWriter, r *http.Request, m *model, keys []string, action string, errs map[string]string) {
	s := orm.NewSession(h.db)
	defer s.Close()
	page := &deletePage{Keys: keys, Action: action}
	var objs []any
	for _, k := range keys {
		kv, err := m.keyValues(k)
		if err != nil {
			continue
		}
		obj, err := m.ops.get(ctx, s, kv)
		if errors.Is(err, orm.ErrNotFound) {
			continue
		}
		if err != nil {
			h.internal(w, r, "get", err)
			return
		}
		objs = append(objs, obj)
		page.Rows = append(page.Rows, m.display(obj))
		if v := m.meta.Version; v != nil && len(keys) == 1 {
			cur, _ := v.Value(m.pointer(obj))
			page.Version = formatValue(v, cur)
		}
	}
	msgs := make([]string, 0, len(errs))
	for col, msg := range errs {
		if col != "" {
			msg = col + ": " + msg
		}
		msgs = append(msgs, msg)
	}
	page.Error = strings.Join(msgs, "; ")
	h.showDelete(ctx, w, r, m, objs, page, http.StatusConflict)
}

// bulk serves POST /{table}/bulk: action=delete (a confirmation first, then
// with confirm=1 the delete) or action=export, on the rows given as key
// values.
func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, m *model) {
	form, ok := parseForm(w, r)
	if !ok {
		h.fail(w, r, http.StatusBadRequest, "malformed form")
		return
	}
	keys := form["key"]
	if len(keys) == 0 || len(keys) > maxBulk {
		h.fail(w, r, http.StatusBadRequest, "choose between 1 and 500 rows")
		return
	}
	for _, k := range keys {
		if _, err := m.keyValues(k); err != nil {
			h.fail(w, r, http.StatusBadRequest, err.Error())
			return
		}
	}
	switch form.Get("action") {
	case "export":
		if h.authorize(w, r, m, ActionExport) {
			h.exportKeys(w, r, m, keys)
		}
	case "delete":
		if !h.authorize(w, r, m, ActionDelete) {
			return
		}
		if form.Get("confirm") == "1" {
			h.deleteRows(w, r, m, keys, "", "bulk")
			return
		}
		h.confirmBulk(w, r, m, keys)
	default:
		h.fail(w, r, http.StatusBadRequest, "unknown bulk action")
	}
}

// confirmBulk shows the confirmation of a bulk delete.
func (h *Handler) confirmBulk(w http.ResponseWriter, r *http.Request, m *model, keys []string) {
	ctx := r.Context()
	s := orm.NewSession(h.db)
	defer s.Close()
	page := &deletePage{Keys: keys, Action: "bulk"}
	var objs []any
	for _, k := range keys {
		obj := h.load(ctx, w, r, s, m, k)
		if obj == nil {
			return
		}
		objs = append(objs, obj)
		page.Rows = append(page.Rows, m.display(obj))
	}
	h.showDelete(ctx, w, r, m, objs, page, http.StatusOK)
}
