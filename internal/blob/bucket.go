package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs
)

// Modes of the local folder and its objects, whatever the umask: only the
// service's own user may list or read them.
const (
	dirMode  os.FileMode = 0o700
	fileMode os.FileMode = 0o600
)

// OpenBucket opens the bucket a URL names: file:///absolute/folder or
// file://./relative/folder (a local folder, created if missing), mem:// (in
// memory, for tests), or s3://bucket?region=…[&endpoint=https://host&use_path_style=true]
// (S3 or an S3-compatible store; credentials from the AWS environment
// variables or the instance's role, never in the URL).
func OpenBucket(ctx context.Context, rawURL string) (*gcblob.Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("blob: bucket URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		return openFolder(u)
	case "mem":
		return memblob.OpenBucket(nil), nil
	case "s3":
		if u.User != nil {
			return nil, errors.New("blob: an s3:// bucket URL carries no credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use the instance's role")
		}
		b, err := gcblob.OpenBucket(ctx, rawURL)
		if err != nil {
			return nil, fmt.Errorf("blob: open %s: %w", u.Redacted(), err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("blob: bucket URL scheme %q is not supported (file://, s3:// or mem://)", u.Scheme)
}

// openFolder opens a local folder with rebind's own options rather than
// fileblob's URL parameters, so a URL cannot loosen them: no sidecar
// attribute files, temporary files beside the objects (inside the private
// folder, and on the same file system so the final rename works).
func openFolder(u *url.URL) (*gcblob.Bucket, error) {
	if u.RawQuery != "" {
		return nil, errors.New("blob: a file:// bucket URL takes no parameters")
	}
	dir := u.Path
	switch u.Host {
	case "", "localhost":
	case ".":
		dir = strings.TrimPrefix(dir, "/")
	default:
		return nil, fmt.Errorf("blob: file:// bucket URL names host %q; write file:///absolute/folder or file://./relative/folder", u.Host)
	}
	if dir == "" {
		return nil, errors.New("blob: file:// bucket URL names no folder")
	}
	dir = filepath.FromSlash(dir)
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		CreateDir:   true,
		DirFileMode: dirMode,
		NoTempDir:   true,
		Metadata:    fileblob.MetadataDontWrite,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: open folder %s: %w", dir, err)
	}
	// MkdirAll applies the umask, and a folder that already existed keeps
	// whatever mode it had.
	if err := os.Chmod(dir, dirMode); err != nil {
		b.Close()
		return nil, fmt.Errorf("blob: make folder %s private: %w", dir, err)
	}
	return b, nil
}

// privateFile makes a local object's file private before anything is written
// to it: fileblob creates it 0666 less the umask. Other drivers have no file.
func privateFile(as func(any) bool) error {
	var f *os.File
	if as(&f) {
		return f.Chmod(fileMode)
	}
	return nil
}
