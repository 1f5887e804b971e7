package app

import (
	"net/http"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/console"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/web"
)

// crossOriginDenied answers a cross-site state change on the public
// listener in the shape of the surface it was sent to: the user API's error
// object (SPEC §5), or the pages' error page.
func crossOriginDenied(ad httpjson.Adapter, pages *web.Pages) http.Handler {
	api := jsonDenied(ad)
	page := pages.Refusal(apperr.New(apperr.Forbidden, "This form was sent from another site, so it was refused. Open the page on this site and try again."))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		page.ServeHTTP(w, r)
	})
}

// internalDenied answers a cross-site state change on the internal
// listener: the console's error page under /staff, the JSON error object
// elsewhere.
func internalDenied(ad httpjson.Adapter, c *console.Console) http.Handler {
	api := jsonDenied(ad)
	page := c.Refusal(apperr.New(apperr.Forbidden, "This form was sent from another site, so it was refused. Open the console on this site and try again."))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/staff" || strings.HasPrefix(r.URL.Path, "/staff/") {
			page.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// jsonDenied answers a cross-site state change with the JSON APIs' error
// object; the internal listener answers every one this way.
func jsonDenied(ad httpjson.Adapter) http.Handler {
	err := apperr.New(apperr.Forbidden, "a browser sent this request from another site; it is refused")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ad.WriteError(w, r, err) })
}
