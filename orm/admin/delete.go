package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// maxBulk bounds the rows of one bulk action.
const maxBulk = 500

// deletePage is what the delete confirmation shows.
type deletePage struct {
	Rows    []string // display text of the rows to delete
	Keys    []string // their encoded keys
	Effects []effect
	Deleted int64 // rows the delete removes besides Rows
	Blocked bool
	// Truncated reports that the preview stopped after MaxRows rows, Deep
	// that references go on below MaxDepth levels: the counts are lower
	// bounds and the database may still refuse the delete.
	Truncated, Deep   bool
	MaxRows, MaxDepth int
	Error             string
	Version           string
	Action            string // where the confirmation posts, relative to the model
}

// effect is one line of the preview: what a delete does to the rows of a
// table that refer, through one foreign key, to rows deleted one level up.
type effect struct {
	Level  int    // 1 for rows referring to the chosen rows, 2 below them, ...
	Table  string // the referring table
	Via    string // its foreign key: "hero.team_id → team.id"
	What   string // "deleted", "unlinked", "set to NULL", "set to its default", "blocks the delete"
	By     string // "the session", "the database", "the database refuses"
	Why    string // the rule: "cascade_delete on team.Heroes", "ON DELETE CASCADE", ...
	Count  int64
	Sample []string // up to previewSamples of the rows, when the admin shows the table
}

// More reports whether the line names fewer rows than it counts.
func (e effect) More() bool { return int64(len(e.Sample)) < e.Count }

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
	if err := h.cascade(ctx, r, m, objs, page); err != nil {
		h.internal(w, r, "cascade preview", err)
		return
	}
	h.render(w, r, status, "delete", pageData{Model: m, Page: page})
}

// cascade fills the page's preview of deleting objs: every row the delete
// reaches, level by level through the foreign keys of the registered
// models, with what the session and the database do to it
// (docs/admin.md#deleting).
func (h *Handler) cascade(ctx context.Context, r *http.Request, m *model, objs []any, page *deletePage) error {
	page.MaxRows, page.MaxDepth = previewRows, previewDepth
	if len(objs) == 0 {
		return nil
	}
	p := newPreviewer(ctx, h)
	if err := p.run(m.meta, objs); err != nil {
		return err
	}
	page.Truncated, page.Deep = p.truncated, p.deep
	var lines [][]*node
	for _, g := range p.order {
		rows := p.rows(g)
		if len(rows) == 0 {
			continue
		}
		e := effect{Level: g.level, Table: g.child.Table, What: g.act.what, By: g.act.who(), Why: g.act.why, Count: int64(len(rows)),
			Via: g.child.Table + "." + strings.Join(g.fk.Columns, ", ") + " → " + g.fk.RefTable + "." + strings.Join(g.fk.RefColumns, ", ")}
		page.Effects = append(page.Effects, e)
		lines = append(lines, rows[:min(len(rows), previewSamples)])
		if g.act.deletes() {
			page.Deleted += e.Count
		}
		page.Blocked = page.Blocked || e.What == whatBlocks
	}
	return h.samples(ctx, r, page.Effects, lines)
}

// samples names the first rows of each line, with one query per table the
// request may list.
func (h *Handler) samples(ctx context.Context, r *http.Request, es []effect, lines [][]*node) error {
	byTable := map[string][]*node{}
	var tables []string
	for _, rows := range lines {
		for _, n := range rows {
			t := n.model.Table
			if cm := h.models[t]; cm == nil || !h.allowed(r, cm, ActionList) {
				continue
			}
			if byTable[t] == nil {
				tables = append(tables, t)
			}
			byTable[t] = append(byTable[t], n)
		}
	}
	names := map[string]map[string]string{}
	s := orm.NewSession(h.db)
	defer s.Close()
	for _, t := range tables {
		cm := h.models[t]
		var conds []orm.Expr
		for _, n := range byTable[t] {
			ands := make([]orm.Expr, len(cm.meta.PrimaryKey))
			for i, f := range cm.meta.PrimaryKey {
				ands[i] = orm.Col(f.Column).Eq(n.vals[i])
			}
			conds = append(conds, orm.And(ands...))
		}
		objs, err := cm.ops.find(ctx, s, []orm.Expr{orm.Or(conds...)}, nil, len(conds), 0)
		if err != nil {
			return fmt.Errorf("orm/admin: delete preview of %s: %w", t, err)
		}
		names[t] = map[string]string{}
		for _, o := range objs {
			p := cm.pointer(o)
			vals := make([]any, len(cm.meta.PrimaryKey))
			for i, f := range cm.meta.PrimaryKey {
				vals[i], _ = f.Value(p)
			}
			names[t][keyOf(vals)] = cm.display(o)
		}
	}
	for i, rows := range lines {
		for _, n := range rows {
			if name, ok := names[n.model.Table][n.key]; ok {
				es[i].Sample = append(es[i].Sample, name)
			}
		}
	}
	return nil
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
	objs := h.loadAll(ctx, w, r, s, m, keys)
	if objs == nil {
		return
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
	objs := h.loadAll(ctx, w, r, s, m, keys)
	if objs == nil {
		return
	}
	for _, obj := range objs {
		page.Rows = append(page.Rows, m.display(obj))
	}
	h.showDelete(ctx, w, r, m, objs, page, http.StatusOK)
}

// loadAll loads the rows of keys, in order, with one query; a key that
// query does not find (or whose value reads back in another form) is
// loaded alone, as load does, which answers 404 when it does not exist.
// It returns nil when it answered the request.
func (h *Handler) loadAll(ctx context.Context, w http.ResponseWriter, r *http.Request, s *orm.Session, m *model, keys []string) []any {
	pk := m.meta.PrimaryKey
	var conds, single []orm.Expr
	var firsts []any
	for _, k := range keys {
		vals, err := m.keyValues(k)
		if err != nil {
			h.fail(w, r, http.StatusBadRequest, err.Error())
			return nil
		}
		ands := make([]orm.Expr, len(pk))
		for i, f := range pk {
			ands[i] = orm.Col(f.Column).Eq(vals[i])
		}
		conds = append(conds, orm.And(ands...))
		firsts = append(firsts, vals[0])
	}
	single = []orm.Expr{orm.Or(conds...)}
	if len(pk) == 1 {
		single = []orm.Expr{orm.Col(pk[0].Column).In(firsts...)}
	}
	found, err := m.ops.find(ctx, s, single, nil, len(keys), 0)
	if err != nil {
		h.internal(w, r, "get", err)
		return nil
	}
	byKey := make(map[string]any, len(found))
	for _, o := range found {
		byKey[m.keyOf(o)] = o
	}
	objs := make([]any, 0, len(keys))
	for _, k := range keys {
		obj := byKey[k]
		if obj == nil {
			if obj = h.load(ctx, w, r, s, m, k); obj == nil {
				return nil
			}
		}
		objs = append(objs, obj)
	}
	return objs
}
