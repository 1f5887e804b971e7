package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/blob"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/staff"
)

func randomSecret(t *testing.T) (string, *keys.Ring) {
	b := make([]byte, 32)
	rand.Read(b)
	enc := base64.StdEncoding.EncodeToString(b)
	r, err := keys.Parse(enc)
	if err != nil {
		t.Fatal(err)
	}
	return enc, r
}

// Issue 13, item 1: after a rotation, rebind secret rekey seals the
// long-lived values again under the new secret (staff TOTP secrets, the
// keys of documents), so the previous secret can be dropped: with the new
// secret alone, the staff member signs in and the document opens.
func TestSecretRekey(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, kind, url string) {
		ctx := context.Background()
		s1, ring1 := randomSecret(t)
		s2, ring2 := randomSecret(t)
		bucketURL := "file://" + filepath.Join(t.TempDir(), "documents")
		base := map[string]string{"REBIND_DATABASE_URL": url, "REBIND_BLOB_URL": bucketURL}
		with := func(extra map[string]string) func(string) string {
			m := map[string]string{}
			for k, v := range base {
				m[k] = v
			}
			for k, v := range extra {
				m[k] = v
			}
			return env(t, m)
		}
		before := with(map[string]string{"REBIND_SECRET": s1})
		rotated := with(map[string]string{"REBIND_SECRET": s2, "REBIND_SECRET_PREVIOUS": s1})

		if err := run(ctx, []string{"migrate"}, before, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		// Under S1: a staff member enrolled, a document stored.
		s, db := cliStaff(t, before)
		m, tok, err := s.Add(ctx, staff.Operator, "keeper@example.com", staff.Admin)
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.Enrolment(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(e.Key.Secret, time.Now())
		if _, err := s.Enrol(ctx, tok, "console-lantern-58", code, ""); err != nil {
			t.Fatal(err)
		}
		docs := func(r *keys.Ring) *blob.Store {
			bucket, err := blob.OpenBucket(ctx, bucketURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { bucket.Close() })
			b, err := blob.New(db, bucket, clock.Real{}, r.Set(keys.DocumentKey))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		picture := []byte("a picture of a passport")
		id, err := docs(ring1).Put(ctx, db, picture)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := docs(ring2).Get(ctx, id); err == nil {
			t.Fatal("the new secret alone opened a document before rekey")
		}

		rekey := func(getenv func(string) string) string {
			var out strings.Builder
			if err := run(ctx, []string{"secret", "rekey"}, getenv, &out, io.Discard); err != nil {
				t.Fatalf("secret rekey: %v\n%s", err, out.String())
			}
			return out.String()
		}
		out := rekey(rotated)
		for _, want := range []string{"current secret " + ring2.ID() + "; previous secrets accepted: " + ring1.ID(),
			"staff TOTP secrets: 1 sealed again, 0 already", "document keys: 1 wrapped again, 0 already"} {
			if !strings.Contains(out, want) {
				t.Fatalf("first rekey does not say %q:\n%s", want, out)
			}
		}
		if out := rekey(rotated); !strings.Contains(out, "0 sealed again, 1 already") || !strings.Contains(out, "0 wrapped again, 1 already") {
			t.Fatalf("second rekey:\n%s", out)
		}

		// The previous secret dropped.
		if got, err := docs(ring2).Get(ctx, id); err != nil || !bytes.Equal(got, picture) {
			t.Fatalf("the document under the new secret alone: %q, %v", got, err)
		}
		clk := clock.NewFake(time.Now().Add(time.Minute))
		alone, err := staff.New(db, clk, password.NewHasher(password.Default, 1), ratelimit.New(clk), audit.New(clk), ring2.Set(keys.StaffTOTP), "Rebind")
		if err != nil {
			t.Fatal(err)
		}
		code, _ = totp.GenerateCode(e.Key.Secret, clk.Now())
		cctx := client.With(ctx, client.Info{IP: "192.0.2.10", RequestID: "rekey"})
		if _, err := alone.SignIn(cctx, staff.Attempt{Email: m.Email, Password: "console-lantern-58", Code: code}); err != nil {
			t.Fatalf("staff sign-in under the new secret alone: %v", err)
		}

		// A value no accepted secret opens is reported, and the command fails.
		s3, _ := randomSecret(t)
		var buf strings.Builder
		err = run(ctx, []string{"secret", "rekey"}, with(map[string]string{"REBIND_SECRET": s3}), &buf, io.Discard)
		if err == nil || !strings.Contains(buf.String(), "1 open under no accepted secret") {
			t.Fatalf("rekey under an unrelated secret: %v\n%s", err, buf.String())
		}

		// Each rekey is on the audit trail, by the operator, with its
		// secret's id and what it changed (SEC-AUD-3: each step writes a
		// structured security event).
		rows, err := db.QueryContext(ctx, "SELECT actor, result, detail FROM audit_events WHERE action = 'secret_rekeyed' ORDER BY seq")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var actor, result, detail string
			if err := rows.Scan(&actor, &result, &detail); err != nil {
				t.Fatal(err)
			}
			got = append(got, actor+" "+result+" "+detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if len(got) != 3 || !strings.HasPrefix(got[0], "operator ok ") || !strings.Contains(got[0], `"secret":"`+ring2.ID()+`"`) ||
			!strings.Contains(got[0], `"staff_sealed":"1"`) || !strings.Contains(got[1], `"staff_kept":"1"`) ||
			!strings.HasPrefix(got[2], "operator failed ") || !strings.Contains(got[2], `"staff_failed":"1"`) {
			t.Fatalf("secret_rekeyed events:\n%s", strings.Join(got, "\n"))
		}
	})
}
