// Package upload turns one uploaded picture into the copy that is stored and
// shown to reviewers: its type decided by its bytes, its size and pixel count
// checked before it is decoded, decoded with a bound on how many decodes run
// at once, turned upright by its EXIF orientation, re-encoded (so no byte of
// the upload survives: no appended archive, script or metadata), hashed
// perceptually, and the metadata a reviewer needs kept as findings.
package upload

import (
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
)

// Limits bound what one upload may be (SPEC §4).
type Limits struct {
	MaxFileBytes int64 // bytes of one file
	MaxFiles     int   // files in one application
	MaxPixels    int64 // width × height of one picture
}

// Default is SPEC §4: 10 MB and 40 megapixels a picture, 10 pictures. A
// megabyte is taken as 2^20 bytes, the larger reading, so a file that a
// phone shows as "10 MB" passes.
var Default = Limits{MaxFileBytes: 10 << 20, MaxFiles: 10, MaxPixels: 40_000_000}

// multipartSlack is room in a whole request for multipart headers and the
// small JSON parts beside the files.
const multipartSlack = 1 << 20

// MaxBodyBytes is the bound for http.MaxBytesReader around a whole upload
// request: every file at its largest, plus the multipart framing.
func (l Limits) MaxBodyBytes() int64 { return int64(l.MaxFiles)*l.MaxFileBytes + multipartSlack }

// CheckCount refuses more files than MaxFiles.
func (l Limits) CheckCount(n int) error {
	if n > l.MaxFiles {
		return apperr.New(apperr.FileTooLarge, fmt.Sprintf("at most %d pictures can be sent at once", l.MaxFiles))
	}
	return nil
}

// Processed is the stored copy of one picture and what was learned from it.
type Processed struct {
	// Bytes is the re-encoded picture: JPEG for a JPEG or lossy WebP, PNG
	// for a PNG or lossless WebP (see encode.go for why).
	Bytes         []byte
	MIME          string // of Bytes: "image/jpeg" or "image/png"
	Width, Height int    // upright, as stored
	// PHash is the 64-bit perceptual hash (DCT) of the upright picture;
	// pictures that look alike are a small Hamming distance apart.
	PHash    uint64
	SHA256   [sha256.Size]byte // of Bytes
	Findings Findings
}

// Findings is the metadata a reviewer should see, read from the upload's
// EXIF before it was dropped. Strings are cleaned of control and format
// characters and cut to 64 characters.
type Findings struct {
	CameraMake, CameraModel string
	// CapturedAt is EXIF's DateTimeOriginal (else DateTimeDigitized). EXIF
	// keeps a wall-clock time; the offset is known only when the camera
	// wrote OffsetTimeOriginal. Without it the time is given in UTC as
	// written and CaptureZoneKnown is false: it may be hours off.
	CapturedAt       *time.Time
	CaptureZoneKnown bool
	Software         string // the program that last wrote the file
	// HasCameraMetadata is true when a camera make or model was present:
	// a photo straight from a camera has them, a screenshot or a picture
	// made by an editor usually has not.
	HasCameraMetadata bool
	// GPSRemoved is true when the upload carried a GPS location; the stored
	// copy does not.
	GPSRemoved bool
}

// MaxWait bounds how long a picture waits for a free decoding slot; past
// it the caller answers "busy" instead of piling up requests.
const MaxWait = 30 * time.Second

// Processor runs the pipeline with a bound on concurrent decodes, so that
// many uploads at once cannot exhaust memory (see decode.go for the bound).
type Processor struct {
	limits Limits
	slots  chan struct{}
	// decode is the decoder; tests replace it to count or break decodes.
	decode func(kind, []byte) (image.Image, error)

	active, peak atomic.Int32 // decodes running now, and the most at once
	decodes      atomic.Int64 // decodes started
}

// New returns a processor that decodes at most concurrency pictures at once
// (0 means one per CPU).
func New(l Limits, concurrency int) *Processor {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	return &Processor{limits: l, slots: make(chan struct{}, concurrency), decode: decodeImage}
}

// Limits returns the limits the processor enforces.
func (p *Processor) Limits() Limits { return p.limits }

// Process checks, decodes, re-encodes and hashes one picture. It takes only
// the bytes: a file's name and declared type are never consulted. Errors are
// apperr errors: file_too_large (bytes or pixels over the limits),
// unsupported_media (not a JPEG, PNG or WebP, or a variant the decoders do
// not support), invalid_request (damaged), unavailable (too busy).
func (p *Processor) Process(ctx context.Context, data []byte) (*Processed, error) {
	if int64(len(data)) > p.limits.MaxFileBytes {
		return nil, p.tooLarge()
	}
	k, ok := sniff(data)
	if !ok {
		return nil, errUnsupported
	}
	if err := p.checkPixels(k, data); err != nil {
		return nil, err
	}
	meta := readMeta(k, data)
	if err := p.acquire(ctx); err != nil {
		return nil, err
	}
	defer p.release()
	return p.convert(k, data, meta)
}
