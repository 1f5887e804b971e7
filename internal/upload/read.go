package upload

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/rebindhq/rebind/internal/apperr"
)

// ReadLimited reads all of r, but never more than max+1 bytes: past max it
// stops and answers file_too_large, so an upload is refused before it is
// held in memory. A read stopped by http.MaxBytesReader (the whole request
// over its bound) is file_too_large too; any other read error is an
// invalid_request (the client went away or sent a broken body).
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb) || int64(len(b)) > max:
		return nil, apperr.New(apperr.FileTooLarge, fmt.Sprintf("a picture may be at most %s", megabytes(max)))
	case err != nil:
		return nil, apperr.Wrap(apperr.InvalidRequest, "the upload could not be read", err)
	}
	return b, nil
}
