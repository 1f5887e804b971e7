package blob

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// The local folder is 0700 and each object 0600 whatever the umask, a folder
// that existed with wider modes included, and nothing else is left in it
// (no sidecar attribute files, no temporary files).
func TestLocalFolderIsPrivate(t *testing.T) {
	old := syscall.Umask(0) // the widest the process could have
	defer syscall.Umask(old)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, existing := range []bool{false, true} {
			dir := filepath.Join(t.TempDir(), "data", "documents")
			if existing {
				if err := os.MkdirAll(dir, 0o777); err != nil {
					t.Fatal(err)
				}
			}
			f := newFixture(t, db, dir, randomSecret())
			id := f.put(t, passport)
			mode(t, dir, os.ModeDir|0o700)
			mode(t, filepath.Join(dir, id), 0o600)
			entries, err := os.ReadDir(dir)
			if err != nil || len(entries) != 1 || entries[0].Name() != id {
				t.Fatalf("the folder holds %v (%v); want the one object %s", entries, err, id)
			}
		}
	})
}

func mode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode() & (os.ModeDir | os.ModePerm); got != want {
		t.Fatalf("%s has mode %v; want %v", path, got, want)
	}
}

func TestOpenBucketURLs(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, ok := range []string{"file://./data/documents", "file://" + filepath.ToSlash(t.TempDir()) + "/docs", "mem://"} {
		b, err := OpenBucket(ctx, ok)
		if err != nil {
			t.Fatalf("%s: %v", ok, err)
		}
		b.Close()
	}
	if _, err := os.Stat(filepath.Join("data", "documents")); err != nil {
		t.Fatalf("the relative folder was not made where it was named: %v", err)
	}
	// The default that config writes for a data folder opens that folder's
	// documents, relative or absolute.
	for _, dataDir := range []string{"rel", filepath.Join(t.TempDir(), "abs")} {
		c, err := config.Load(func(k string) string { return map[string]string{"REBIND_DATA_DIR": dataDir}[k] }, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := OpenBucket(ctx, c.BlobURL)
		if err != nil {
			t.Fatalf("%s: %v", c.BlobURL, err)
		}
		b.Close()
		mode(t, filepath.Join(dataDir, "documents"), os.ModeDir|0o700)
	}
	for _, bad := range []string{"file:///tmp/x?dir_file_mode=0777", "file://example.com/x", "file://", "gs://bucket", "s3://key:secret@bucket?region=us-east-1", "documents"} {
		if b, err := OpenBucket(ctx, bad); err == nil {
			b.Close()
			t.Fatalf("%s was accepted", bad)
		}
	}
}

func TestServe(t *testing.T) {
	for _, c := range []struct{ mime, wantType, wantDisposition string }{
		{"image/jpeg", "image/jpeg", "inline"},
		{"image/png", "image/png", "inline"},
		{"text/html", "application/octet-stream", "attachment"},
		{"image/svg+xml", "application/octet-stream", "attachment"},
		{"", "application/octet-stream", "attachment"},
	} {
		w := httptest.NewRecorder()
		Serve(w, passport, c.mime)
		h := w.Result().Header
		want := map[string]string{
			"Cache-Control":           "no-store",
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox; default-src 'none'",
			"Content-Type":            c.wantType,
			"Content-Disposition":     c.wantDisposition,
		}
		for name, v := range want {
			if got := h.Get(name); got != v {
				t.Errorf("%q: %s = %q; want %q", c.mime, name, got, v)
			}
		}
		if w.Code != 200 || w.Body.String() != string(passport) {
			t.Errorf("%q: status %d, %d bytes", c.mime, w.Code, w.Body.Len())
		}
	}
}
