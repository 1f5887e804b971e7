package blob

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// Documents go to S3-compatible storage through an s3:// URL (production's
// store, SPEC §7), here an in-process fake S3 server on 127.0.0.1: sealed
// as in a folder, read back, destroyed with their key. Credentials come
// from the environment, never the URL.
func TestS3Bucket(t *testing.T) {
	backend := s3mem.New()
	fake := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(fake.Close)
	if err := backend.CreateBucket("documents"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key-id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	url := "s3://documents?region=us-east-1&use_path_style=true&endpoint=" + fake.URL
	if _, err := OpenBucket(ctx, "s3://key:secret@documents?region=us-east-1"); err == nil {
		t.Fatal("an s3:// URL with credentials in it was accepted")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		bucket, err := OpenBucket(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bucket.Close() })
		s, err := New(db, bucket, newFixture(t, db, t.TempDir(), randomSecret()).clock, keys.Set{randomSecret()})
		if err != nil {
			t.Fatal(err)
		}
		id, err := s.Put(ctx, db, passport)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := bucket.ReadAll(ctx, id)
		if err != nil || bytes.Contains(stored, []byte("PASSPORT-OF-ALICE")) {
			t.Fatalf("the object in S3: %d bytes, %v; it must be sealed", len(stored), err)
		}
		got, err := s.Get(ctx, id)
		if err != nil || !bytes.Equal(got, passport) {
			t.Fatalf("Get = %d bytes, %v", len(got), err)
		}
		if err := s.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
		if ok, err := bucket.Exists(ctx, id); err != nil || ok {
			t.Fatalf("the object after Destroy: exists %v, %v", ok, err)
		}
		_, err = s.Get(ctx, id)
		wantNotFound(t, err, "Get after Destroy")
	})
}
