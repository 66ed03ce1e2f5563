package admin

import (
	"html/template"
	"net/url"
)

// templateFuncs are the functions the page templates use.
var templateFuncs = template.FuncMap{
	"pathEscape": url.PathEscape,
}

// header is a sortable column heading of a list page.
type header struct {
	Label string
	Href  template.URL // "?query" sorting on the column
	Arrow string
}

// headers returns the headings of a list page: a link sorting on each
// sortable column (descending when it already sorts ascending).
func headers(m *model, p *listParams) []header {
	out := make([]header, 0, len(m.list))
	for _, c := range m.list {
		hd := header{Label: c.label}
		if sortable(c) {
			v := cloneValues(p.values)
			v.Del("after")
			v.Del("page")
			sort := c.f.Column
			if p.Sort == c && !p.Desc {
				sort, hd.Arrow = "-"+sort, " ▲"
			} else if p.Sort == c {
				hd.Arrow = " ▼"
			}
			v.Set("sort", sort)
			hd.Href = queryURL(v)
		}
		out = append(out, hd)
	}
	return out
}
