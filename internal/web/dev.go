package web

import (
	"net/http"

	"github.com/rebindhq/rebind/internal/outbox"
)

// devOutbox shows what the dev outbox delivered. It exists in dev mode only.
func (p *Pages) devOutbox(w http.ResponseWriter, r *http.Request) error {
	msgs, err := outbox.DevMessages(r.Context(), p.DB, r.URL.Query().Get("to"), 100)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "dev_outbox", "Dev outbox", msgs, "")
}
