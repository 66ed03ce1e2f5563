package admin

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// exportBatch is the number of rows read per statement of an export.
const exportBatch = 1000

// export serves GET /{table}/export.csv: every row the list parameters
// (search, filters, sort) select, read in keyset batches.
func (h *Handler) export(w http.ResponseWriter, r *http.Request, m *model) {
	if !h.authorize(w, r, m, ActionExport) {
		return
	}
	p, err := m.parseList(r.URL.Query(), exportBatch)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if p.Page > 0 || p.After != "" {
		h.fail(w, r, http.StatusBadRequest, "an export has no pages")
		return
	}
	if !p.keyset() {
		p.Sort, p.Desc = m.byColumn[m.meta.PrimaryKey[0].Column], false
	}
	cw := h.startCSV(w, m)
	ctx := r.Context()
	for {
		objs, err := h.exportChunk(ctx, m, p)
		if err != nil {
			h.db.Logger().Error("orm/admin: export", "table", m.meta.Table, "err", err)
			return // the status is sent: the truncated file ends without its last line
		}
		for _, o := range objs {
			_ = cw.Write(csvRow(m, o))
		}
		if len(objs) < exportBatch {
			break
		}
		p.After = p.cursorOf(m, objs[len(objs)-1])
	}
	cw.Flush()
}

// exportChunk reads the next batch of an export, in a session of its own
// so the identity map does not grow with the table.
func (h *Handler) exportChunk(ctx context.Context, m *model, p *listParams) ([]any, error) {
	s := orm.NewSession(h.db)
	defer s.Close()
	where := p.where
	if p.After != "" {
		cond, err := p.afterCondition(m)
		if err != nil {
			return nil, err
		}
		where = append(where[:len(where):len(where)], cond)
	}
	return m.ops.find(ctx, s, where, p.order(m), exportBatch, 0)
}

// exportKeys writes the rows of keys as CSV (bulk export).
func (h *Handler) exportKeys(w http.ResponseWriter, r *http.Request, m *model, keys []string) {
	ctx := r.Context()
	s := orm.NewSession(h.db)
	defer s.Close()
	var objs []any
	for _, k := range keys {
		obj := h.load(ctx, w, r, s, m, k)
		if obj == nil {
			return
		}
		objs = append(objs, obj)
	}
	cw := h.startCSV(w, m)
	for _, o := range objs {
		_ = cw.Write(csvRow(m, o))
	}
	cw.Flush()
}

// startCSV sends the headers and the header line of an export.
func (h *Handler) startCSV(w http.ResponseWriter, m *model) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+m.meta.Table+`.csv"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	cw := csv.NewWriter(w)
	var head []string
	for _, c := range m.columns {
		if !c.hidden {
			head = append(head, c.f.Column)
		}
	}
	_ = cw.Write(head)
	return cw
}

// csvRow returns the cells of an object; NULL is an empty cell. A text
// that a spreadsheet would run as a formula (=, +, -, @ first) gets a
// leading apostrophe.
func csvRow(m *model, obj any) []string {
	var out []string
	for _, c := range m.columns {
		if c.hidden {
			continue
		}
		v := valueOf(c, obj, m)
		t := formatValue(c.f, v)
		if _, isText := v.(string); isText && t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
			t = "'" + t
		}
		out = append(out, t)
	}
	return out
}
