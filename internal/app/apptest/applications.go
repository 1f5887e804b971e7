package apptest

import (
	"net/http"
	"strings"
	"testing"
)

// Selfie is a part carrying a picture of kind selfie_with_statement, of
// PictureImage(seed, 480, 480): above the readable minimum, small enough to
// keep tests fast.
func Selfie(t testing.TB, seed uint64) Part {
	t.Helper()
	return Part{Name: "selfie_with_statement", FileName: "selfie.jpg", Data: Picture(t, seed, 480, 480)}
}

// SubmitDocuments posts parts to the documents endpoint of reset flowID.
func (s *Server) SubmitDocuments(t testing.TB, flowID string, parts ...Part) Response {
	t.Helper()
	body, ct := Multipart(t, parts...)
	return s.Send(t, "POST", "/api/v1/mobile-reset/"+flowID+"/documents", ct, body)
}

// UploadDocument posts one part to the per-file endpoint of reset flowID.
func (s *Server) UploadDocument(t testing.TB, flowID string, p Part) Response {
	t.Helper()
	body, ct := Multipart(t, p)
	return s.Send(t, "POST", "/api/v1/mobile-reset/"+flowID+"/documents/files", ct, body)
}

// Application is a document application made through the API.
type Application struct {
	AccountID, FlowID, ID string
	// Secret is its status link's secret.
	Secret string
}

// KYCApplication creates a KYC account with mobile, resets it by
// documents (its emails go to email) and submits the selfie of seed.
func (s *Server) KYCApplication(t testing.TB, email, pw, mobile string, seed uint64) Application {
	t.Helper()
	id := s.CreateAccount(t, email, pw, mobile, true)
	flowID := s.ResetToMethod(t, email, pw)
	r := s.SubmitDocuments(t, flowID, Selfie(t, seed))
	if r.Status != http.StatusCreated {
		t.Fatalf("submit documents: %d %s", r.Status, r.Raw)
	}
	link := r.Body["status_url"].(string)
	_, secret, ok := strings.Cut(link, "/reset-mobile/status/")
	if !ok {
		t.Fatalf("status link %q", link)
	}
	return Application{AccountID: id, FlowID: flowID, ID: r.Body["application_id"].(string), Secret: secret}
}
