package admin

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// ErrConfig reports a mistake in the options given to New: no models, a
// model registered twice, an unknown column in a model option.
var ErrConfig = errors.New("orm/admin: invalid configuration")

// Action is what a request wants to do with a model, as given to the
// Authorize function.
type Action string

// Actions, one per kind of route.
const (
	ActionList   Action = "list"   // the model index entry, list pages
	ActionView   Action = "view"   // an edit form opened for reading
	ActionCreate Action = "create" // the new form and its POST
	ActionUpdate Action = "update" // the POST of an edit form
	ActionDelete Action = "delete" // the delete confirmation and its POST, bulk delete
	ActionExport Action = "export" // CSV export
)

// String returns the action's name.
func (a Action) String() string { return string(a) }

// AuthorizeFunc decides whether the request may perform action on the model
// named by its table name. It is called for every request, before anything
// is read, and must be safe for concurrent use.
type AuthorizeFunc func(r *http.Request, table string, action Action) bool

// Option configures New.
type Option func(*config) error

type config struct {
	models    []modelSpec
	authorize AuthorizeFunc
	audit     bool
	who       func(*http.Request) string
	title     string
	pageSize  int
	origins   []string
	now       func() time.Time
}

// Authorize sets the function that allows or refuses each request. Without
// it every request is refused with 403 Forbidden: nothing is served without
// an explicit decision.
func Authorize(fn AuthorizeFunc) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: Authorize(nil)", ErrConfig)
		}
		c.authorize = fn
		return nil
	}
}

// Models adds models to the admin: values made by Model[T], in the order
// the index lists them.
func Models(ms ...Option) Option {
	return func(c *config) error {
		for _, m := range ms {
			if err := m(c); err != nil {
				return err
			}
		}
		return nil
	}
}

// AuditLog makes every write also insert an AuditEntry in the same
// transaction; who names the user of a request (it may return ""). The
// audit table must exist: create it with db.CreateAll(ctx, &admin.AuditEntry{}).
func AuditLog(who func(*http.Request) string) Option {
	return func(c *config) error {
		c.audit = true
		c.who = who
		return nil
	}
}

// Title sets the name shown at the top of every page (default "Admin").
func Title(title string) Option {
	return func(c *config) error { c.title = title; return nil }
}

// PageSize sets the default number of rows of a list page (default 50;
// a request may ask for 1 to 500 with the "size" parameter).
func PageSize(n int) Option {
	return func(c *config) error {
		if n < 1 || n > maxPageSize {
			return fmt.Errorf("%w: PageSize(%d) is outside 1..%d", ErrConfig, n, maxPageSize)
		}
		c.pageSize = n
		return nil
	}
}

// TrustedOrigins lets POSTs come from these origins ("https://example.com")
// besides the admin's own, as http.CrossOriginProtection.AddTrustedOrigin.
func TrustedOrigins(origins ...string) Option {
	return func(c *config) error { c.origins = append(c.origins, origins...); return nil }
}

const maxPageSize = 500

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Handler is the admin: an http.Handler serving the model index, list
// pages, forms, delete confirmations and CSV exports of its models. Mount it
// with http.StripPrefix. It is safe for concurrent use; each request works
// in a Session of its own.
type Handler struct {
	db     *orm.DB
	cfg    config
	models map[string]*model
	order  []*model
	tmpl   *template.Template
	csrf   *http.CrossOriginProtection
	static http.Handler
}

// New returns the admin of db's models given by opts. Every model must be
// registered with db (db.Register or db.CreateAll); a model given twice or
// an option naming an unknown column is ErrConfig.
func New(db *orm.DB, opts ...Option) (*Handler, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil *orm.DB", ErrConfig)
	}
	h := &Handler{db: db, models: map[string]*model{}, cfg: config{title: "Admin", pageSize: 50, now: time.Now}}
	for _, o := range opts {
		if err := o(&h.cfg); err != nil {
			return nil, err
		}
	}
	if len(h.cfg.models) == 0 {
		return nil, fmt.Errorf("%w: no models (use admin.Models(admin.Model[T]()))", ErrConfig)
	}
	if h.cfg.audit {
		if err := db.Register(&AuditEntry{}); err != nil {
			return nil, fmt.Errorf("%w: audit model: %w", ErrConfig, err)
		}
	}
	for _, spec := range h.cfg.models {
		m, err := spec.build(db)
		if err != nil {
			return nil, err
		}
		if _, dup := h.models[m.meta.Table]; dup {
			return nil, fmt.Errorf("%w: model %s given twice", ErrConfig, m.meta.Name)
		}
		h.models[m.meta.Table] = m
		h.order = append(h.order, m)
	}
	for _, m := range h.order {
		m.link(h.models)
	}
	h.csrf = http.NewCrossOriginProtection()
	for _, o := range h.cfg.origins {
		if err := h.csrf.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("%w: trusted origin: %w", ErrConfig, err)
		}
	}
	t, err := template.New("admin").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("orm/admin: templates: %w", err)
	}
	h.tmpl = t
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("orm/admin: static files: %w", err)
	}
	h.static = http.StripPrefix("/_static/", http.FileServerFS(sub))
	return h, nil
}

// ServeHTTP dispatches a request (its path relative to the mount point).
// A POST from another origin is refused with 403 before anything else.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.csrf.Check(r); err != nil {
		h.fail(w, r, http.StatusForbidden, "cross-origin request refused")
		return
	}
	segs, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		h.fail(w, r, http.StatusBadRequest, "malformed path")
		return
	}
	if len(segs) == 0 {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.fail(w, r, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		h.index(w, r)
		return
	}
	if segs[0] == "_static" && len(segs) == 2 {
		h.static.ServeHTTP(w, r)
		return
	}
	m := h.models[segs[0]]
	if m == nil {
		h.fail(w, r, http.StatusNotFound, "no such model")
		return
	}
	h.route(w, r, m, segs[1:])
}

// route picks the page of a model's path below its table name.
func (h *Handler) route(w http.ResponseWriter, r *http.Request, m *model, rest []string) {
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	post := r.Method == http.MethodPost
	switch {
	case len(rest) == 0 && get:
		h.list(w, r, m)
	case len(rest) == 1 && rest[0] == "new" && get:
		h.newForm(w, r, m)
	case len(rest) == 1 && rest[0] == "new" && post:
		h.create(w, r, m)
	case len(rest) == 1 && rest[0] == "export.csv" && get:
		h.export(w, r, m)
	case len(rest) == 1 && rest[0] == "lookup" && get:
		h.lookup(w, r, m)
	case len(rest) == 1 && rest[0] == "bulk" && post:
		h.bulk(w, r, m)
	case len(rest) == 1 && get:
		h.editForm(w, r, m, rest[0])
	case len(rest) == 1 && post:
		h.update(w, r, m, rest[0])
	case len(rest) == 2 && rest[1] == "delete" && get:
		h.confirmDelete(w, r, m, rest[0])
	case len(rest) == 2 && rest[1] == "delete" && post:
		h.delete(w, r, m, rest[0])
	case len(rest) <= 2 && !get && !post:
		h.fail(w, r, http.StatusMethodNotAllowed, "method not allowed")
	default:
		h.fail(w, r, http.StatusNotFound, "not found")
	}
}

// splitPath splits an escaped path into unescaped segments; ok is false
// when a segment does not unescape.
func splitPath(p string) ([]string, bool) {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil, true
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		u, err := pathUnescape(s)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

// allowed asks the Authorize function; without one nothing is allowed.
func (h *Handler) allowed(r *http.Request, m *model, a Action) bool {
	return h.cfg.authorize != nil && h.cfg.authorize(r, m.meta.Table, a)
}

// listable returns whether the request may list a model. The rows of a
// related model it may not list are not shown on its pages: no labels or
// links in list cells, no options or search in foreign-key inputs and
// filters (the key is typed), no many-to-many field.
func (h *Handler) listable(r *http.Request) func(*model) bool {
	return func(m *model) bool { return m != nil && h.allowed(r, m, ActionList) }
}

// authorize answers 403 and returns false when the action is refused.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, m *model, a Action) bool {
	if h.allowed(r, m, a) {
		return true
	}
	h.fail(w, r, http.StatusForbidden, fmt.Sprintf("not allowed to %s %s", a, m.label))
	return false
}

// index lists the models the request may list.
func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	var ms []*model
	for _, m := range h.order {
		if h.allowed(r, m, ActionList) {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		h.fail(w, r, http.StatusForbidden, "not allowed to list any model")
		return
	}
	h.render(w, r, http.StatusOK, "index", pageData{Title: h.cfg.title, Models: ms})
}

// pageData is what every page template receives.
type pageData struct {
	Title   string
	Base    string
	Models  []*model
	Model   *model
	Message string
	Status  int
	Page    any
}

// render executes a page template; a template error after headers were
// sent cannot change the status, so pages are rendered into a buffer.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.Title = h.cfg.title
	d.Base = basePath(r)
	h.renderPart(w, status, name, d)
}

// renderPart executes a template into a buffer and sends it with the
// pages' security headers: a whole page, or a fragment htmx swaps in.
func (h *Handler) renderPart(w http.ResponseWriter, status int, name string, data any) {
	var b strings.Builder
	if err := h.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "orm/admin: rendering failed", http.StatusInternalServerError)
		h.db.Logger().Error("orm/admin: render", "template", name, "err", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, b.String())
}

// fail renders an error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", pageData{Message: msg, Status: status})
}

// basePath is the mount point of the admin, as seen by the browser: the
// prefix http.StripPrefix removed from the request path.
func basePath(r *http.Request) string {
	full := r.RequestURI
	if i := strings.IndexAny(full, "?#"); i >= 0 {
		full = full[:i]
	}
	if strings.HasPrefix(full, "http://") || strings.HasPrefix(full, "https://") || full == "" {
		return ""
	}
	rel := r.URL.EscapedPath()
	if !strings.HasSuffix(full, rel) {
		return ""
	}
	base := strings.TrimSuffix(full[:len(full)-len(rel)], "/")
	// The base starts links and redirects: never let it name another host.
	if !strings.HasPrefix(base, "/") || strings.HasPrefix(base, "//") || strings.ContainsAny(base, "\\\"'<> ") {
		return ""
	}
	return base
}
