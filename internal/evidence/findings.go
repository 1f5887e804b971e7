package evidence

import (
	"context"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// SimilarBits is how many bits of the perceptual hash two pictures may
// differ by and still count as the same picture: a re-saved, recompressed
// or slightly resized copy stays within it. With 8-bit bands, any two
// hashes this close share a band (pigeonhole: 7 differing bits cannot touch
// all 8 bands), so the band index finds every such pair.
const SimilarBits = 6

const bands = 8

// addBands indexes a submitted picture's hash.
func addBands(ctx context.Context, q store.Querier, f File) error {
	args := make([]any, 0, 3*bands)
	values := make([]string, bands)
	for b := range bands {
		args = append(args, b, int((f.PHash>>(8*b))&0xff), f.ID)
		values[b] = "(" + placeholders(3*b+1, 3) + ")"
	}
	_, err := q.ExecContext(ctx, "INSERT INTO image_hash_bands (band, value, file_id) VALUES "+strings.Join(values, ", "), args...)
	if err != nil {
		return fmt.Errorf("evidence: index picture: %w", store.Translate(err))
	}
	return nil
}

// match is a submitted picture that looks like a new one.
type match struct {
	FileID, AccountID, ApplicationID string
	State                            State
	Kind                             Kind
	SHA256                           string
	Distance                         int
}

// similar returns the submitted pictures within SimilarBits of hash.
func similar(ctx context.Context, q store.Querier, hash uint64) ([]match, error) {
	args := make([]any, 0, 2*bands)
	conds := make([]string, bands)
	for b := range bands {
		args = append(args, b, int((hash>>(8*b))&0xff))
		conds[b] = fmt.Sprintf("(b.band = $%d AND b.value = $%d)", 2*b+1, 2*b+2)
	}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT f.id, f.account_id, f.application_id, a.state, f.kind, f.sha256, f.phash
		FROM image_hash_bands b JOIN application_files f ON f.id = b.file_id JOIN applications a ON a.id = f.application_id
		WHERE `+strings.Join(conds, " OR "), args...)
	if err != nil {
		return nil, fmt.Errorf("evidence: similar pictures: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []match
	for rows.Next() {
		var m match
		var state, kind string
		var other int64
		if err := rows.Scan(&m.FileID, &m.AccountID, &m.ApplicationID, &state, &kind, &m.SHA256, &other); err != nil {
			return nil, fmt.Errorf("evidence: similar pictures: %w", err)
		}
		m.State, m.Kind, m.Distance = State(state), Kind(kind), bits.OnesCount64(hash^uint64(other))
		if m.Distance <= SimilarBits {
			out = append(out, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evidence: similar pictures: %w", err)
	}
	return out, nil
}

// Assess computes the findings of an application about to be submitted:
// its typed transactions against the account's records (done by the
// caller, in a.Transactions), its pictures against every picture submitted
// before, and each picture's metadata against the application date.
func (s *Store) Assess(ctx context.Context, q store.Querier, a Application) ([]Finding, error) {
	var out []Finding
	for _, t := range a.Transactions {
		out = append(out, transactionFinding(t))
	}
	for _, f := range a.Files {
		ms, err := similar(ctx, q, f.PHash)
		if err != nil {
			return nil, err
		}
		out = append(out, reuseFindings(a.AccountID, f, ms)...)
		out = append(out, metaFindings(f, a.SubmittedAt)...)
	}
	return out, nil
}

func transactionFinding(t Transaction) Finding {
	f := Finding{Code: "transaction_" + t.Match, Flag: t.Match != MatchExact}
	switch t.Match {
	case MatchExact:
		f.Detail = fmt.Sprintf("%s %s %s matches a %s on record", t.TXID, t.Amount, t.Coin, t.Direction)
	case MatchNone:
		f.Detail = fmt.Sprintf("%s is not among the account's deposits and withdrawals", t.TXID)
	case MatchCoinDiffers:
		f.Detail = fmt.Sprintf("%s is a %s on record, but not of %s", t.TXID, t.Direction, t.Coin)
	case MatchAmountDiffers:
		f.Detail = fmt.Sprintf("%s is a %s of %s %s on record, not %s", t.TXID, t.Direction, t.Recorded, t.Coin, t.Amount)
	}
	return f
}

// reuseFindings flags picture f when it is one submitted before by another
// account, or in this account's rejected application. A photo counts as
// the same when its perceptual hash is within SimilarBits (a re-saved or
// resized copy); a screenshot only when it is the same stored picture
// byte for byte: every notification email of one exchange, or every page
// of one wallet, is one picture to a 64-bit perceptual hash, and flagging
// them all would drown the real reuse.
func reuseFindings(accountID string, f File, ms []match) []Finding {
	var out []Finding
	for _, m := range ms {
		if f.Kind != SelfieWithStatement && (m.Kind != f.Kind || m.SHA256 != f.SHA256) {
			continue
		}
		if f.Kind == SelfieWithStatement && m.Kind != SelfieWithStatement {
			continue
		}
		how := fmt.Sprintf("%d bits apart", m.Distance)
		if f.Kind != SelfieWithStatement {
			how = "the same file"
		}
		switch {
		case m.AccountID != accountID:
			out = append(out, Finding{Code: "picture_in_other_account", Flag: true, File: f.ID,
				Detail: fmt.Sprintf("looks like picture %s of application %s of another account (%s)", m.FileID, m.ApplicationID, how)})
		case m.State == Rejected:
			out = append(out, Finding{Code: "picture_from_rejected_application", Flag: true, File: f.ID,
				Detail: fmt.Sprintf("looks like picture %s of this account's rejected application %s (%s)", m.FileID, m.ApplicationID, how)})
		}
	}
	return out
}

// CaptureDrift is how far from the submission a picture's capture time may
// be before it is flagged: a statement photo taken for this application, or
// a screenshot taken to send it, is hours old at most.
const CaptureDrift = 72 * time.Hour

// editors are programs whose name in a picture's metadata means it was
// edited, not only taken.
var editors = []string{"photoshop", "gimp", "lightroom", "snapseed", "picsart", "canva", "pixelmator", "affinity", "paint", "facetune", "meitu"}

func metaFindings(f File, submitted time.Time) []Finding {
	var out []Finding
	m := f.Meta
	if sw := strings.ToLower(m.Software); sw != "" {
		edited := false
		for _, e := range editors {
			edited = edited || strings.Contains(sw, e)
		}
		out = append(out, Finding{Code: "software_named", Flag: edited, File: f.ID, Detail: "written by " + m.Software})
	}
	if m.CapturedAt != nil {
		if d := submitted.Sub(*m.CapturedAt); d > CaptureDrift || d < -CaptureDrift {
			out = append(out, Finding{Code: "captured_far_from_application", Flag: true, File: f.ID,
				Detail: fmt.Sprintf("taken %s, the application was sent %s", m.CapturedAt.UTC().Format(time.DateTime), submitted.UTC().Format(time.DateTime))})
		}
	}
	if f.Kind == SelfieWithStatement && !m.HasCameraMetadata {
		out = append(out, Finding{Code: "no_camera_metadata", Flag: true, File: f.ID, Detail: "the photo names no camera: it may not come straight from one"})
	}
	if m.GPSRemoved {
		out = append(out, Finding{Code: "location_removed", File: f.ID, Detail: "the upload carried a GPS location; the stored copy does not"})
	}
	return out
}
