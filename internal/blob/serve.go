package blob

import (
	"net/http"
	"strconv"
)

// Serve writes a document's content with headers that keep it out of caches
// and keep a browser from running it: the type is never sniffed, and the
// policy sandboxes it and forbids it to load anything. Only JPEG and PNG are
// shown inline; anything else is offered as an opaque download. Serve does
// not decide who may see what: the caller does, before calling it.
func Serve(w http.ResponseWriter, data []byte, mime string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	switch mime {
	case "image/jpeg", "image/png":
		h.Set("Content-Type", mime)
		h.Set("Content-Disposition", "inline")
	default:
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", "attachment")
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}
