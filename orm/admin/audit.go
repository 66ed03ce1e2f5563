package admin

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// AuditEntry is one change made through the admin, written in the same
// transaction as the change when the admin is built with AuditLog: the row
// exists if and only if the change was committed. Create its table with
// db.CreateAll(ctx, &admin.AuditEntry{}).
type AuditEntry struct {
	ID int64 `sqlmodel:"pk"`
	// At is when the change was made (UTC).
	At time.Time `sqlmodel:"index"`
	// Who is what the AuditLog function returned for the request.
	Who string `sqlmodel:"size=200"`
	// Action is "create", "update" or "delete".
	Action string `sqlmodel:"size=20"`
	// Table is the changed row's table, RowKey its encoded key (as in
	// the admin's URLs).
	Table  string `sqlmodel:"column=table_name,size=200,index"`
	RowKey string `sqlmodel:"size=500"`
	// Changes is a JSON object mapping each changed column (or
	// many-to-many relation) to {"old": ..., "new": ...}; a create has no
	// old values, a delete no new ones (null).
	Changes string
}

// TableName names the audit table admin_audit.
func (AuditEntry) TableName() string { return "admin_audit" }

// change is the old and new value of one column in an audit entry.
type change struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// snapshot returns the text of every column of obj, for the audit log and
// the conflict display.
func (m *model) snapshot(obj any) map[string]*string {
	out := make(map[string]*string, len(m.columns))
	for _, c := range m.columns {
		v := valueOf(c, obj, m)
		if v == nil {
			out[c.f.Column] = nil
			continue
		}
		t := formatValue(c.f, v)
		out[c.f.Column] = &t
	}
	return out
}

// audit adds an AuditEntry for a change to the session, when the admin
// keeps an audit log. old and now are snapshots (nil for a create's old
// values or a delete's new ones); only columns that differ are recorded,
// hidden columns included (they are changed by no form, but a delete
// removes them).
func (h *Handler) audit(s *orm.Session, r *http.Request, m *model, action Action, key string, old, now map[string]*string, links map[string][2][]string) error {
	if !h.cfg.audit {
		return nil
	}
	changes := map[string]change{}
	for _, c := range m.columns {
		name := c.f.Column
		var o, n *string
		if old != nil {
			o = old[name]
		}
		if now != nil {
			n = now[name]
		}
		if same(o, n) && action == ActionUpdate {
			continue
		}
		changes[name] = change{Old: deref(o), New: deref(n)}
	}
	for rel, ch := range links {
		changes[rel] = change{Old: ch[0], New: ch[1]}
	}
	if action == ActionUpdate && len(changes) == 0 {
		return nil
	}
	text, err := json.Marshal(changes) // encoding/json sorts map keys
	if err != nil {
		return err
	}
	who := ""
	if h.cfg.who != nil {
		who = h.cfg.who(r)
	}
	return s.Add(&AuditEntry{At: h.cfg.now().UTC(), Who: who, Action: string(action), Table: m.meta.Table, RowKey: key, Changes: string(text)})
}

func same(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}
