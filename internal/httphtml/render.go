package httphtml

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"strings"
	"time"
)

// Templates are a surface's pages, each parsed with the layout and the
// partials so it can be executed alone.
type Templates struct {
	pages map[string]*template.Template
}

// Funcs are the helpers every template may call, beside a surface's own.
var Funcs = template.FuncMap{
	"utc":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"unix": func(t time.Time) int64 { return t.Unix() },
}

// Parse reads the pages of fsys: layout.html, which defines the page and
// executes a "content" template; partials (_name.html), which go into
// every page; and every other name.html, a page named name that defines
// "content". funcs are added to Funcs.
func Parse(fsys fs.FS, funcs template.FuncMap) (*Templates, error) {
	all := maps.Clone(Funcs)
	maps.Copy(all, funcs)
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, err
	}
	shared := []string{"layout.html"}
	if partials, _ := fs.Glob(fsys, "_*.html"); len(partials) > 0 {
		shared = append(shared, "_*.html")
	}
	ts := &Templates{pages: make(map[string]*template.Template)}
	for _, name := range names {
		base := strings.TrimSuffix(name, ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(all).ParseFS(fsys, append(shared, name)...)
		if err != nil {
			return nil, fmt.Errorf("httphtml: template %s: %w", name, err)
		}
		ts.pages[base] = t
	}
	return ts, nil
}

// View is what every page template receives, inside the surface's view.
type View struct {
	// Page is the template's name, set on <body data-page> so scripts and
	// tests know which page they are on.
	Page  string
	Title string
	// CSRF is the form token, for the hidden csrf field of every form.
	CSRF  string
	Data  any
	Error string
}

// Render writes page name with status. errMsg is shown as a sentence. The
// page is executed into a buffer first, so a template that fails writes
// nothing and the caller can still send the error page.
func (s *Site) Render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, errMsg string) error {
	t, ok := s.Templates.pages[name]
	if !ok {
		return fmt.Errorf("httphtml: no page %q", name)
	}
	kit := View{Page: name, Title: title, CSRF: s.CSRFToken(w, r), Data: data, Error: Sentence(errMsg)}
	var v any = kit
	if s.View != nil {
		v = s.View(r, kit)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return fmt.Errorf("httphtml: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}
