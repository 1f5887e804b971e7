package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	gcblob "gocloud.dev/blob"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

var ctx = context.Background()

// passport is a document whose text is easy to look for in stored bytes.
var passport = bytes.Repeat([]byte("PASSPORT-OF-ALICE-"), 500)

// fixture is one instance's store over a local folder.
type fixture struct {
	*Store
	dir   string
	clock *clock.Fake
}

func newFixture(t *testing.T, db *store.DB, dir string, secret []byte) fixture {
	t.Helper()
	bucket, err := OpenBucket(ctx, "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	ring, err := keys.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	c := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s, err := New(db, bucket, c, ring.Set(keys.DocumentKey))
	if err != nil {
		t.Fatal(err)
	}
	return fixture{Store: s, dir: dir, clock: c}
}

func randomSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

func (f fixture) put(t *testing.T, plain []byte) string {
	t.Helper()
	id, err := f.Put(ctx, f.db, plain)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("%s: err = %v, want not_found", what, err)
	}
}

func TestRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, filepath.Join(t.TempDir(), "documents"), randomSecret())
		id := f.put(t, passport)
		if !token.ValidID(id) {
			t.Fatalf("id %q is not a random id", id)
		}
		got, err := f.Get(ctx, id)
		if err != nil || !bytes.Equal(got, passport) {
			t.Fatalf("Get = %d bytes, %v; want the %d bytes put", len(got), err, len(passport))
		}
		sum := sha256.Sum256(passport)
		in, err := f.Info(ctx, db, id)
		if err != nil || in.SHA256 != hex.EncodeToString(sum[:]) || !in.CreatedAt.Equal(f.clock.Now().Truncate(time.Millisecond)) {
			t.Fatalf("Info = %+v, %v", in, err)
		}
		if other := f.put(t, passport); other == id {
			t.Fatal("two puts got the same id")
		}
		for _, bad := range []string{token.NewID(), "../" + id, "", id + "x"} {
			_, err := f.Get(ctx, bad)
			wantNotFound(t, err, "Get of "+bad)
		}
	})
}

// The object in the bucket holds neither the content nor its data key, and
// the database holds the key only wrapped.
func TestStoredBytesRevealNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, filepath.Join(t.TempDir(), "documents"), randomSecret())
		id := f.put(t, passport)
		object, err := os.ReadFile(filepath.Join(f.dir, id))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(object, passport[:36]) {
			t.Fatal("the stored object holds the content in clear")
		}
		wrapped := storetest.Value[string](t, db, "SELECT wrapped_key FROM blob_keys WHERE id = $1", id)
		raw, err := base64.RawStdEncoding.DecodeString(wrapped)
		if err != nil {
			t.Fatal(err)
		}
		key, err := f.wrap.Open(raw, []byte(id))
		if err != nil || len(key) != dataKeySize {
			t.Fatalf("unwrap: %d bytes, %v", len(key), err)
		}
		if bytes.Contains(object, key) || bytes.Contains(raw, key) || bytes.Contains([]byte(wrapped), []byte(base64.RawStdEncoding.EncodeToString(key))) {
			t.Fatal("the data key is stored in clear")
		}
	})
}

// A copy of the bucket and of the database does not open without the
// server secret; with it, the same copy opens (so the copy is complete).
func TestCopyNeedsTheSecret(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		secret := randomSecret()
		f := newFixture(t, db, filepath.Join(t.TempDir(), "documents"), secret)
		id := f.put(t, passport)
		copied := filepath.Join(t.TempDir(), "stolen")
		if err := os.CopyFS(copied, os.DirFS(f.dir)); err != nil {
			t.Fatal(err)
		}
		thief := newFixture(t, db, copied, randomSecret())
		got, err := thief.Get(ctx, id)
		if err == nil || apperr.Is(err, apperr.NotFound) || got != nil {
			t.Fatalf("another secret: Get = %d bytes, %v; want a failure to open", len(got), err)
		}
		owner := newFixture(t, db, copied, secret)
		if got, err := owner.Get(ctx, id); err != nil || !bytes.Equal(got, passport) {
			t.Fatalf("the right secret on the copy: %d bytes, %v", len(got), err)
		}
	})
}

// Moving one object, with its key row's contents, under another id does not
// open: both the object and its wrapped key are bound to their id.
func TestSwappedObjectsDoNotOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, filepath.Join(t.TempDir(), "documents"), randomSecret())
		a, b := f.put(t, passport), f.put(t, []byte("another account's document"))
		pa, pb, tmp := filepath.Join(f.dir, a), filepath.Join(f.dir, b), filepath.Join(f.dir, "swap")
		for _, mv := range [][2]string{{pa, tmp}, {pb, pa}, {tmp, pb}} {
			if err := os.Rename(mv[0], mv[1]); err != nil {
				t.Fatal(err)
			}
		}
		_, err := db.ExecContext(ctx, `UPDATE blob_keys SET
			wrapped_key = (SELECT k.wrapped_key FROM blob_keys k WHERE k.id = CASE WHEN blob_keys.id = $1 THEN $2 ELSE $1 END),
			sha256 = (SELECT k.sha256 FROM blob_keys k WHERE k.id = CASE WHEN blob_keys.id = $1 THEN $2 ELSE $1 END)
			WHERE id IN ($1, $2)`, a, b)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{a, b} {
			if got, err := f.Get(ctx, id); err == nil || apperr.Is(err, apperr.NotFound) {
				t.Fatalf("swapped object %s opened: %q, %v", id, got, err)
			}
		}
	})
}

// Each of the two seals is bound to the id on its own.
func TestSealsAreBoundToTheID(t *testing.T) {
	wrap, err := keys.NewSealer(keys.Set{randomSecret()})
	if err != nil {
		t.Fatal(err)
	}
	object, wrapped := sealObject(wrap, passport, "a")
	raw, _ := base64.RawStdEncoding.DecodeString(wrapped)
	if _, err := wrap.Open(raw, []byte("b")); err == nil {
		t.Fatal("the wrapped key unwraps under another id")
	}
	key, err := wrap.Open(raw, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := newGCM(key)
	if _, err := open(aead, object, "b"); err == nil {
		t.Fatal("the object opens under another id")
	}
	if plain, err := open(aead, object, "a"); err != nil || !bytes.Equal(plain, passport) {
		t.Fatalf("the object does not open under its own id: %v", err)
	}
}

func exists(t *testing.T, b *gcblob.Bucket, id string) bool {
	t.Helper()
	ok, err := b.Exists(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestDestroy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, filepath.Join(t.TempDir(), "documents"), randomSecret())
		id, kept := f.put(t, passport), f.put(t, passport)
		before, _ := f.Info(ctx, db, id)
		backup, err := os.ReadFile(filepath.Join(f.dir, id))
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		if err := f.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
		_, err = f.Get(ctx, id)
		wantNotFound(t, err, "Get after Destroy")
		if exists(t, f.bucket, id) {
			t.Fatal("the object is still in the bucket")
		}
		// A copy of the object that survived (a backup) no longer opens.
		if err := os.WriteFile(filepath.Join(f.dir, id), backup, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = f.Get(ctx, id)
		wantNotFound(t, err, "Get of a surviving copy after Destroy")
		if n := storetest.Count(t, db, "SELECT count(*) FROM blob_keys WHERE id = $1 AND wrapped_key IS NULL", id); n != 1 {
			t.Fatal("the key row still holds the key")
		}
		after, err := f.Info(ctx, db, id)
		if err != nil || after.SHA256 != before.SHA256 || !after.DestroyedAt.Equal(f.clock.Now()) {
			t.Fatalf("Info after Destroy = %+v, %v; want the hash kept and the time of destruction", after, err)
		}
		if err := f.Destroy(ctx, id); err != nil {
			t.Fatalf("Destroy again: %v", err)
		}
		wantNotFound(t, f.Destroy(ctx, token.NewID()), "Destroy of an unknown id")
		wantNotFound(t, f.Schedule(ctx, db, id, f.clock.Now()), "Schedule of a destroyed id")
		if got, err := f.Get(ctx, kept); err != nil || !bytes.Equal(got, passport) {
			t.Fatalf("the other object: %v", err)
		}
	})
}

// Retention: objects are destroyed when their time comes and not before;
// a second purge finds nothing, and unscheduled objects stay.
func TestPurgeDestroysWhatIsDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, filepath.Join(t.TempDir(), "documents"), randomSecret())
		const retention = 90 * 24 * time.Hour
		early, late, kept := f.put(t, passport), f.put(t, passport), f.put(t, passport)
		decided := f.clock.Now()
		if err := f.Schedule(ctx, db, early, decided.Add(retention)); err != nil {
			t.Fatal(err)
		}
		if err := f.Schedule(ctx, db, late, decided.Add(retention+24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, f.Schedule(ctx, db, token.NewID(), decided), "Schedule of an unknown id")
		purge := func(want int) {
			t.Helper()
			n, err := f.Purge(ctx, f.clock.Now())
			if err != nil || n != want {
				t.Fatalf("Purge at %s = %d, %v; want %d", f.clock.Now(), n, err, want)
			}
		}
		readable := func(id string, want bool) {
			t.Helper()
			_, err := f.Get(ctx, id)
			if want && err != nil || !want && !apperr.Is(err, apperr.NotFound) || exists(t, f.bucket, id) != want {
				t.Fatalf("%s: Get err = %v; want readable %v", id, err, want)
			}
		}
		f.clock.Advance(retention - time.Millisecond)
		purge(0)
		readable(early, true)
		f.clock.Advance(time.Millisecond)
		purge(1)
		purge(0)
		readable(early, false)
		readable(late, true)
		f.clock.Advance(10 * 365 * 24 * time.Hour)
		purge(1)
		purge(0)
		readable(late, false)
		readable(kept, true)
		if in, _ := f.Info(ctx, db, early); in.SHA256 == "" || in.DestroyedAt.IsZero() {
			t.Fatalf("Info after purge = %+v; want the hash and the time kept", in)
		}
	})
}

// Two instances purging at once destroy each object once: one that listed
// an object another has since destroyed does not take it again.
func TestPurgeByTwoInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		dir := filepath.Join(t.TempDir(), "documents")
		one, two := newFixture(t, db, dir, []byte("the same 32-byte server secret..")), newFixture(t, db, dir, []byte("the same 32-byte server secret.."))
		var ids []string
		for range 3 {
			id := one.put(t, passport)
			if err := one.Schedule(ctx, db, id, one.clock.Now()); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		now := one.clock.Now()
		stale, err := one.due(ctx, now)
		if err != nil || len(stale) != len(ids) {
			t.Fatalf("due = %v, %v", stale, err)
		}
		if n, err := two.Purge(ctx, now); n != len(ids) || err != nil {
			t.Fatalf("second instance purged %d, %v", n, err)
		}
		if n, err := one.destroyAll(ctx, stale, now); n != 0 || err != nil {
			t.Fatalf("first instance, from its stale list, destroyed %d again (%v)", n, err)
		}

		// And at the same time, with more objects than one batch holds.
		defer func(n int) { purgeBatch = n }(purgeBatch)
		purgeBatch = 7
		ids = ids[:0]
		for range 40 {
			id := one.put(t, passport)
			if err := one.Schedule(ctx, db, id, now); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		counts := make(chan int, 2)
		for _, f := range []fixture{one, two} {
			go func() {
				n, err := f.Purge(ctx, now)
				if err != nil {
					t.Error(err)
				}
				counts <- n
			}()
		}
		if total := <-counts + <-counts; total != len(ids) {
			t.Fatalf("the two purges destroyed %d in all; want %d", total, len(ids))
		}
		for _, id := range ids {
			if exists(t, one.bucket, id) {
				t.Fatalf("%s survived", id)
			}
		}
	})
}
