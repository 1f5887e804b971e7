package staff_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/staff"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// An enrolment link shows the same key each time it is opened, refuses a
// weak password and a wrong code, and works once: the enrolment signs the
// member in and spends the link (SEC-CODE-3 for the link).
func TestEnrolmentLinkWorksOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		m, tok, err := f.svc.Add(f.ctx, staff.Operator, "Ana@Example.com", staff.Reviewer)
		if err != nil || m.Role != staff.Reviewer || m.Email != "Ana@Example.com" {
			t.Fatalf("Add = %+v, %v", m, err)
		}
		if storetest.Count(t, db, "SELECT count(*) FROM staff_enrolments WHERE token_hash = $1", tok) != 0 {
			t.Fatal("the link's token is stored in clear")
		}
		first, err := f.svc.Enrolment(f.ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.svc.Enrolment(f.ctx, tok)
		if err != nil || again.Key.Secret != first.Key.Secret || !strings.HasPrefix(first.Key.QR, "data:image/png;base64,") ||
			!strings.Contains(first.Key.URL, "issuer=Rebind") {
			t.Fatalf("opening the link again: %v, key %+v then %+v", err, first.Key.URL, again.Key.URL)
		}
		if sealed := storetest.Value[string](t, db, "SELECT totp_sealed FROM staff WHERE id = $1", m.ID); strings.Contains(sealed, first.Key.Secret) {
			t.Fatal("the TOTP secret is stored in clear")
		}
		if _, err := f.svc.Enrol(f.ctx, tok, "password", f.code(t, first.Key.Secret), ""); !apperr.Is(err, apperr.InvalidRequest) {
			t.Fatalf("a common password: %v", err)
		}
		wrong := "000000"
		if f.code(t, first.Key.Secret) == wrong {
			wrong = "111111"
		}
		if _, err := f.svc.Enrol(f.ctx, tok, pw, wrong, ""); !apperr.Is(err, apperr.InvalidCode) {
			t.Fatalf("a wrong code: %v", err)
		}
		in, err := f.svc.Enrol(f.ctx, tok, pw, f.code(t, first.Key.Secret), "test")
		if err != nil || in.Member.ID != m.ID || in.Token == "" {
			t.Fatalf("Enrol = %+v, %v", in, err)
		}
		if got, _, err := f.svc.Current(f.ctx, in.Token); err != nil || got != m {
			t.Fatalf("the enrolment's session: %+v, %v", got, err)
		}
		if _, err := f.svc.Enrolment(f.ctx, tok); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("the spent link opens: %v", err)
		}
		f.clk.Advance(staff.Period * time.Second)
		if _, err := f.svc.Enrol(f.ctx, tok, "another-good-phrase-9", f.code(t, first.Key.Secret), ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("the spent link enrols again: %v", err)
		}
		if n := events(t, db, audit.StaffEnrolled, "role", "reviewer"); n != 1 {
			t.Fatalf("%d staff_enrolled events", n)
		}
		if n := events(t, db, audit.StaffAdded, "member", "Ana@Example.com"); n != 1 {
			t.Fatalf("%d staff_added events", n)
		}
	})
}

// A link works until 24 hours after it was made, not after (fake clock).
func TestEnrolmentLinkExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		_, late, err := f.svc.Add(f.ctx, staff.Operator, "late@example.com", staff.Reviewer)
		if err != nil {
			t.Fatal(err)
		}
		_, onTime, err := f.svc.Add(f.ctx, staff.Operator, "ontime@example.com", staff.Reviewer)
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(staff.EnrolmentLifetime - time.Second)
		e, err := f.svc.Enrolment(f.ctx, onTime)
		if err != nil {
			t.Fatalf("a second before its end: %v", err)
		}
		if _, err := f.svc.Enrol(f.ctx, onTime, pw, f.code(t, e.Key.Secret), ""); err != nil {
			t.Fatalf("enrol a second before the end: %v", err)
		}
		if _, err := f.svc.Enrolment(f.ctx, late); err != nil {
			t.Fatalf("the other link a second before its end: %v", err)
		}
		f.clk.Advance(time.Second)
		if _, err := f.svc.Enrolment(f.ctx, late); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("at its end: %v", err)
		}
		if _, err := f.svc.Enrol(f.ctx, late, pw, "123456", ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("enrol at its end: %v", err)
		}
	})
}

// Adding a member who never enrolled again gives a new link and ends the
// old one with the secret it showed; adding an enrolled member, or one
// with another role, is a conflict.
func TestAddAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		_, old, err := f.svc.Add(f.ctx, staff.Operator, "again@example.com", staff.Supervisor)
		if err != nil {
			t.Fatal(err)
		}
		oldKey, err := f.svc.Enrolment(f.ctx, old)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Add(f.ctx, staff.Operator, "AGAIN@example.com", staff.Admin); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("another role: %v", err)
		}
		_, fresh, err := f.svc.Add(f.ctx, staff.Operator, "AGAIN@example.com", staff.Supervisor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Enrol(f.ctx, old, pw, f.code(t, oldKey.Key.Secret), ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("the replaced link: %v", err)
		}
		newKey, err := f.svc.Enrolment(f.ctx, fresh)
		if err != nil || newKey.Key.Secret == oldKey.Key.Secret {
			t.Fatalf("the new link: %v (same secret: %v)", err, newKey.Key.Secret == oldKey.Key.Secret)
		}
		if _, err := f.svc.Enrol(f.ctx, fresh, pw, f.code(t, newKey.Key.Secret), ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Add(f.ctx, staff.Operator, "again@example.com", staff.Supervisor); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("an enrolled member: %v", err)
		}
		for _, bad := range []struct {
			email string
			role  staff.Role
		}{{"not an email", staff.Reviewer}, {"x@example.com", "root"}, {"x@example.com", ""}} {
			if _, _, err := f.svc.Add(f.ctx, staff.Operator, bad.email, bad.role); !apperr.Is(err, apperr.InvalidRequest) {
				t.Errorf("Add(%q, %q) = %v", bad.email, bad.role, err)
			}
		}
	})
}

// A sealed TOTP secret opens only for the member it was sealed for: moved
// to another member's row, sign-in with its codes fails.
func TestSecretIsBoundToItsMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a, secretA := f.enrolled(t, "a@example.com", staff.Reviewer)
		b, _ := f.enrolled(t, "b@example.com", staff.Reviewer)
		if _, err := db.ExecContext(f.ctx, "UPDATE staff SET totp_sealed = (SELECT totp_sealed FROM staff WHERE id = $1) WHERE id = $2", a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SignIn(f.ctx, staff.Attempt{Email: b.Email, Password: pw, Code: f.code(t, secretA)}); !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("b signed in with a's secret: %v", err)
		}
	})
}
