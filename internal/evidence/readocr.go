package evidence

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/rebindhq/rebind/internal/ocr"
)

// Readable reports whether pictures of kind k are read with OCR: the
// screenshots. A selfie's handwriting is not something OCR reads well.
func Readable(k Kind) bool { return k == EmailScreenshot || k == TransactionScreenshot }

// OCRUnavailable is the finding of an application whose screenshots were
// not read because the OCR program is not installed.
func OCRUnavailable() Finding {
	return Finding{Code: "ocr_unavailable", Detail: "the screenshots were not read: OCR (tesseract) is not installed on the server"}
}

// NotRead is the finding of a screenshot that could not be read.
func NotRead(f File, why string) Finding {
	return Finding{Code: "screenshot_not_read", File: f.ID, Detail: "OCR could not read this screenshot: " + why}
}

// enlarge is the scale of the second reading. Desktop screenshots carry
// text 13 to 18 pixels high, below what the reader's model is trained on;
// at twice the size it reads them.
const enlarge = 2

// ReadScreenshot reads picture img of f with r and returns its findings
// against facts. The text is read at the picture's size, and read again
// enlarged when the first reading misses what the screenshot should show
// (a TXID on record, the account's address); the better reading is kept.
// The text itself is not returned or kept: only the findings are.
func ReadScreenshot(ctx context.Context, r *ocr.Reader, f File, img image.Image, facts Facts) ([]Finding, error) {
	fs, _, err := readWith(func(scale float64) ([]string, error) { return readLines(ctx, r, img, scale) }, f, facts)
	return fs, err
}

// readWith is ReadScreenshot's choice between readings, with read giving
// the lines of the picture at a scale; it also returns the lines kept.
func readWith(read func(scale float64) ([]string, error), f File, facts Facts) ([]Finding, []string, error) {
	first, err := read(1)
	if err != nil {
		return nil, nil, err
	}
	fs := ReadFindings(f, first, facts)
	if complete(f.Kind, fs) {
		return fs, first, nil
	}
	second, err := read(enlarge)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fs, first, nil // too slow enlarged: the first reading stands
		}
		return nil, nil, err
	}
	if more := ReadFindings(f, second, facts); better(more, fs) {
		return more, second, nil
	}
	return fs, first, nil
}

func readLines(ctx context.Context, r *ocr.Reader, img image.Image, scale float64) ([]string, error) {
	t, err := r.Read(ctx, img, scale)
	if err != nil {
		return nil, fmt.Errorf("evidence: read %dx%d picture: %w", img.Bounds().Dx(), img.Bounds().Dy(), err)
	}
	lines := make([]string, len(t.Lines))
	for i, l := range t.Lines {
		lines[i] = l.String()
	}
	return lines, nil
}

// complete reports whether findings fs of a screenshot of kind k found
// what one should show (or that it is a mailbox's list, which shows no
// TXID).
func complete(k Kind, fs []Finding) bool {
	n := count(fs)
	if k == EmailScreenshot {
		return n["screenshot_email_found"] > 0
	}
	return n["screenshot_txid_matched"] > 0 || n["screenshot_inbox"] > 0
}

// better reports whether reading a found more of what matters than b:
// matches and addresses found, then fewer unmatched TXIDs and flags.
func better(a, b []Finding) bool {
	na, nb := count(a), count(b)
	for _, c := range []string{"screenshot_txid_matched", "screenshot_email_found"} {
		if na[c] != nb[c] {
			return na[c] > nb[c]
		}
	}
	return flags(a) < flags(b)
}

func count(fs []Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.Code]++
	}
	return m
}

func flags(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Flag {
			n++
		}
	}
	return n
}
