package web

import (
	"net/http"
	"net/url"

	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/outbox"
)

// devOutbox shows what the dev outbox delivered. It exists in dev mode only.
func (p *Pages) devOutbox(w http.ResponseWriter, r *http.Request) error {
	msgs, err := outbox.DevMessages(r.Context(), p.DB, r.URL.Query().Get("to"), 100)
	if err != nil {
		return err
	}
	return p.site.Render(w, r, http.StatusOK, "dev_outbox", "Dev outbox", msgs, "")
}

// devAccounts shows the named demo accounts and the facts their security
// questions are built from, with a button to renew each. It exists in dev
// mode only.
func (p *Pages) devAccounts(w http.ResponseWriter, r *http.Request) error {
	cards, err := p.Demo.Cards(r.Context())
	if err != nil {
		return err
	}
	return p.site.Render(w, r, http.StatusOK, "dev_accounts", "Demo accounts", map[string]any{
		"Cards": cards, "Renewed": r.URL.Query().Get("renewed")}, "")
}

// devRenew renews a named demo account and shows the list again.
func (p *Pages) devRenew(w http.ResponseWriter, r *http.Request) error {
	done, err := p.Demo.Renew(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httphtml.Redirect(w, r, "/dev/accounts?renewed="+url.QueryEscape(done.Email))
}
