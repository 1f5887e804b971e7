package httpjson

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/rebindhq/rebind/internal/apperr"
)

// No field of rebind takes a NUL byte or invalid UTF-8: PostgreSQL cannot
// store either in text, and neither is ever part of an email, a number, an
// id or a password that a person typed. Both are refused as invalid_request
// where a request is read (here for JSON, the path and the query; the pages
// check their forms with ValidText), before any of it reaches a query.

// ValidText reports whether s is valid UTF-8 without a NUL byte.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// CheckText refuses a request whose path, query, or already parsed form
// holds text that ValidText refuses.
func CheckText(r *http.Request) error {
	if !ValidText(r.URL.Path) {
		return badText("the address")
	}
	if !ValidText(r.URL.RawQuery) {
		return badText("the query")
	}
	for _, values := range []map[string][]string{r.URL.Query(), r.PostForm} {
		for k, vs := range values {
			if !ValidText(k) {
				return badText("a field name")
			}
			for _, v := range vs {
				if !ValidText(v) {
					return badText(fmt.Sprintf("field %q", k))
				}
			}
		}
	}
	return nil
}

func badText(where string) error {
	return apperr.New(apperr.InvalidRequest, where+" holds a NUL character or bytes that are not UTF-8")
}

func fieldName(path string) string {
	if path == "" {
		return "the body"
	}
	return fmt.Sprintf("field %q", path)
}

// findNUL returns the JSON path of the first string in v that holds a NUL
// (map keys included).
func findNUL(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return findNUL(v.Elem(), path)
		}
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			return path, true
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" {
				name = t.Field(i).Name
			}
			if p, ok := findNUL(v.Field(i), join(path, name)); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p, ok := findNUL(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if _, ok := findNUL(it.Key(), path); ok {
				return path, true
			}
			if p, ok := findNUL(it.Value(), path); ok {
				return p, true
			}
		}
	}
	return "", false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
