package admin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// conflictMessage is shown when the row changed since the form was opened.
const conflictMessage = "This row was changed by someone else since you opened it. Its current values are shown below; saving again replaces them with yours."

// update serves POST /{table}/{key}: the changed columns, the links and
// the audit entry in one transaction, refused with the current values when
// the row's version is not the one the form was opened with.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, m *model, seg string) {
	if !h.authorize(w, r, m, ActionUpdate) {
		return
	}
	form, ok := parseForm(w, r)
	if !ok {
		h.fail(w, r, http.StatusBadRequest, "malformed form")
		return
	}
	ctx := r.Context()
	s := orm.NewSession(h.db)
	defer s.Close()
	if err := s.Begin(ctx); err != nil {
		h.internal(w, r, "begin", err)
		return
	}
	obj := h.load(ctx, w, r, s, m, seg)
	if obj == nil {
		return
	}
	errs, err := h.applyUpdate(ctx, s, r, m, obj, form)
	if err != nil {
		h.internal(w, r, "update", err)
		return
	}
	if len(errs) == 0 {
		http.Redirect(w, r, basePath(r)+"/"+m.meta.Table+"?saved="+url.QueryEscape(decodeForDisplay(seg)), http.StatusSeeOther)
		return
	}
	_ = s.Rollback(ctx)
	h.reshow(ctx, w, r, m, seg, form, errs)
}

// applyUpdate checks the version, writes the form into obj and commits;
// the returned map holds the errors to show (nil error then), a non-nil
// error is one to log.
func (h *Handler) applyUpdate(ctx context.Context, s *orm.Session, r *http.Request, m *model, obj any, form url.Values) (map[string]string, error) {
	if err := m.ops.preload(ctx, s, []any{obj}, m.relNames()...); err != nil {
		return nil, err
	}
	errs := map[string]string{}
	if v := m.meta.Version; v != nil {
		cur, _ := v.Value(m.pointer(obj))
		if form.Get("_version") != formatValue(v, cur) {
			errs[""] = conflictMessage
			errs["_conflict"] = "1"
			return errs, nil
		}
	}
	old := m.snapshot(obj)
	var links map[string][2][]string
	var err error
	s.NoAutoFlush(func() { links, err = applyLinks(ctx, s, m, obj, form, errs, h.listable(r)) })
	if err != nil {
		return nil, err
	}
	for k, v := range applyForm(m, obj, form, false) {
		errs[k] = v
	}
	if len(errs) > 0 {
		return errs, nil
	}
	if err := h.audit(s, r, m, ActionUpdate, m.keyOf(obj), old, m.snapshot(obj), links); err != nil {
		return nil, err
	}
	err = s.Commit(ctx)
	if isStale(err) {
		errs[""], errs["_conflict"] = conflictMessage, "1"
		return errs, nil
	}
	if h.writeErrors(err, m, errs) {
		return nil, err
	}
	return errs, nil
}

// reshow renders the form again with the posted values and errors, the
// row's current values loaded by a fresh session (and listed next to the
// posted ones after a version conflict).
func (h *Handler) reshow(ctx context.Context, w http.ResponseWriter, r *http.Request, m *model, seg string, form url.Values, errs map[string]string) {
	s := orm.NewSession(h.db)
	defer s.Close()
	obj := h.load(ctx, w, r, s, m, seg)
	if obj == nil {
		return
	}
	if err := m.ops.preload(ctx, s, []any{obj}, m.relNames()...); err != nil {
		h.internal(w, r, "preload", err)
		return
	}
	conflict := errs["_conflict"] != ""
	delete(errs, "_conflict")
	page, err := h.buildForm(ctx, s, m, obj, form, false, errs, h.listable(r))
	if err != nil {
		h.internal(w, r, "form", err)
		return
	}
	status := http.StatusUnprocessableEntity
	if conflict {
		status = http.StatusConflict
		now := m.snapshot(obj)
		for _, c := range m.columns {
			if c.hidden || !editable(c, false) {
				continue
			}
			mine := form.Get("c." + c.f.Column)
			switch {
			case c.f.Kind == schema.KindBool && !c.f.Nullable:
				mine = strconv.FormatBool(mine != "" && mine != "false")
			case form.Get("null."+c.f.Column) == "on", mine == "" && c.f.Nullable && !nullBox(c):
				mine = "NULL"
			}
			cur := "NULL"
			if p := now[c.f.Column]; p != nil {
				cur = *p
			}
			page.Conflict = append(page.Conflict, conflictValue{Label: c.label, Value: cur, Mine: mine})
		}
	}
	page.setBase(basePath(r))
	page.CanDelete = h.allowed(r, m, ActionDelete)
	page.CanSave = h.allowed(r, m, ActionUpdate)
	h.render(w, r, status, "form", pageData{Model: m, Page: page})
}
