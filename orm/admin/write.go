package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// maxForm bounds the size of a posted form.
const maxForm = 1 << 20

// parseForm reads a POST body (at most maxForm bytes).
func parseForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return nil, false
	}
	return r.PostForm, true
}

// load opens a session on a key segment and gets its object; it answers
// 400 for a malformed key and 404 for a missing row, and returns nil then.
func (h *Handler) load(ctx context.Context, w http.ResponseWriter, r *http.Request, s *orm.Session, m *model, seg string) any {
	key, err := m.keyValues(seg)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return nil
	}
	obj, err := m.ops.get(ctx, s, key)
	if errors.Is(err, orm.ErrNotFound) {
		h.fail(w, r, http.StatusNotFound, "no "+m.label+" with key "+decodeForDisplay(seg))
		return nil
	}
	if err != nil {
		h.internal(w, r, "get", err)
		return nil
	}
	return obj
}

// relNames returns the Go names of the model's many-to-many relations.
func (m *model) relNames() []string {
	out := make([]string, len(m.m2m))
	for i, r := range m.m2m {
		out[i] = r.rel.Name
	}
	return out
}

// editForm serves GET /{table}/{key}.
func (h *Handler) editForm(w http.ResponseWriter, r *http.Request, m *model, seg string) {
	if !h.authorize(w, r, m, ActionView) {
		return
	}
	ctx := r.Context()
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
	h.showForm(ctx, w, r, s, m, obj, prefill(r.URL.Query()), false, nil, http.StatusOK)
}

// newForm serves GET /{table}/new.
func (h *Handler) newForm(w http.ResponseWriter, r *http.Request, m *model) {
	if !h.authorize(w, r, m, ActionCreate) {
		return
	}
	s := orm.NewSession(h.db)
	defer s.Close()
	h.showForm(r.Context(), w, r, s, m, m.ops.newObject(), prefill(r.URL.Query()), true, nil, http.StatusOK)
}

// showForm renders a form page.
func (h *Handler) showForm(ctx context.Context, w http.ResponseWriter, r *http.Request, s *orm.Session, m *model, obj any, posted url.Values, isNew bool, errs map[string]string, status int) {
	page, err := h.buildForm(ctx, s, m, obj, posted, isNew, errs, h.listable(r))
	if err != nil {
		h.internal(w, r, "form", err)
		return
	}
	page.setBase(basePath(r))
	page.CanDelete = !isNew && h.allowed(r, m, ActionDelete)
	page.CanSave = (isNew && h.allowed(r, m, ActionCreate)) || (!isNew && h.allowed(r, m, ActionUpdate))
	h.render(w, r, status, "form", pageData{Model: m, Page: page})
}

// create serves POST /{table}/new: the row, its links and the audit entry
// in one transaction.
func (h *Handler) create(w http.ResponseWriter, r *http.Request, m *model) {
	if !h.authorize(w, r, m, ActionCreate) {
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
	obj := m.ops.newObject()
	errs := map[string]string{}
	var links map[string][2][]string
	var err error
	s.NoAutoFlush(func() { links, err = applyLinks(ctx, s, m, obj, form, errs, h.listable(r)) })
	if err != nil {
		h.internal(w, r, "create", err)
		return
	}
	for k, v := range applyForm(m, obj, form, true) {
		errs[k] = v
	}
	if len(errs) == 0 {
		err = h.commitCreate(ctx, s, r, m, obj, links)
		if h.writeErrors(err, m, errs) {
			h.internal(w, r, "create", err)
			return
		}
	}
	if len(errs) > 0 {
		_ = s.Rollback(ctx)
		fresh := orm.NewSession(h.db)
		defer fresh.Close()
		h.showForm(ctx, w, r, fresh, m, m.ops.newObject(), form, true, errs, http.StatusUnprocessableEntity)
		return
	}
	http.Redirect(w, r, basePath(r)+"/"+m.meta.Table+"?saved="+url.QueryEscape(decodeForDisplay(m.keyOf(obj))), http.StatusSeeOther)
}

// commitCreate inserts obj, then its audit entry (which needs the generated
// key), and commits both.
func (h *Handler) commitCreate(ctx context.Context, s *orm.Session, r *http.Request, m *model, obj any, links map[string][2][]string) error {
	if err := s.Begin(ctx); err != nil {
		return err
	}
	if err := s.Add(obj); err != nil {
		return err
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	if err := h.audit(s, r, m, ActionCreate, m.keyOf(obj), nil, m.snapshot(obj), links); err != nil {
		return err
	}
	return s.Commit(ctx)
}

// writeErrors maps a failed write to form errors: constraint violations to
// their columns, version conflicts to the whole form. It reports true for
// an error it cannot explain to the user (the caller answers 500).
func (h *Handler) writeErrors(err error, m *model, errs map[string]string) bool {
	if err == nil {
		return false
	}
	var ce *orm.ConstraintError
	switch {
	case errors.Is(err, orm.ErrStaleData):
		errs[""] = "This row was changed or deleted by someone else since you opened it."
		return false
	case errors.As(err, &ce):
		col, what := constraintColumn(m, ce), "this value is not allowed"
		switch {
		case errors.Is(err, orm.ErrUniqueViolation):
			what = "another row already has this value"
		case errors.Is(err, orm.ErrForeignKeyViolation):
			what = "the related row does not exist, or other rows still refer to this one"
		case errors.Is(err, orm.ErrNotNullViolation):
			what = "a value is required"
		}
		if col == "" {
			errs[""] = what
		} else {
			errs[col] = what
		}
		return false
	}
	return true
}

// constraintColumn finds the column a constraint error is about: the
// column the driver names, else the column of the index or foreign key it
// names; "" when none is known.
func constraintColumn(m *model, ce *orm.ConstraintError) string {
	if ce.Column != "" && m.byColumn[ce.Column] != nil {
		return ce.Column
	}
	name := strings.ToLower(ce.Constraint)
	if name == "" {
		return ""
	}
	for _, ix := range m.meta.Indexes {
		if strings.ToLower(ix.Name) == name && len(ix.Columns) == 1 {
			return ix.Columns[0]
		}
	}
	for _, fk := range m.meta.ForeignKeys {
		if strings.ToLower(fk.Name) == name && len(fk.Columns) == 1 {
			return fk.Columns[0]
		}
	}
	// PostgreSQL names a UNIQUE column's constraint <table>_<column>_key.
	name = strings.TrimSuffix(name, "_key")
	for _, c := range m.columns {
		if strings.HasSuffix(name, "_"+c.f.Column) || strings.HasSuffix(name, "."+c.f.Column) || name == c.f.Column {
			return c.f.Column
		}
	}
	return ""
}

// isStale reports a version conflict or a row deleted under the form.
func isStale(err error) bool { return errors.Is(err, orm.ErrStaleData) }
