package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
	"github.com/rebindhq/rebind/internal/upload"
)

// Store reads and writes applications and their pictures.
type Store struct {
	clock clock.Clock
}

// NewStore returns a store reading time from c.
func NewStore(c clock.Clock) *Store { return &Store{clock: c} }

const fileColumns = "id, flow_id, account_id, application_id, kind, blob_id, mime, width, height, sha256, phash, findings, created_at"

// AddFile records picture f of a flow (its ID is made here) and returns it.
func (s *Store) AddFile(ctx context.Context, q store.Querier, f File) (File, error) {
	f.ID, f.CreatedAt = token.NewID(), s.clock.Now()
	meta, err := json.Marshal(f.Meta)
	if err != nil {
		return File{}, fmt.Errorf("evidence: file findings: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO application_files (`+fileColumns+`)
		VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		f.ID, f.FlowID, f.AccountID, string(f.Kind), f.BlobID, f.MIME, f.Width, f.Height, f.SHA256, int64(f.PHash), string(meta),
		store.Millis(f.CreatedAt))
	if err != nil {
		return File{}, fmt.Errorf("evidence: add file: %w", store.Translate(err))
	}
	return f, nil
}

// Drafts returns the pictures uploaded to flowID and not removed, oldest
// first, and how many were ever uploaded to it.
func (s *Store) Drafts(ctx context.Context, q store.Querier, flowID string) (files []File, uploaded int, err error) {
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM application_files WHERE flow_id = $1`, flowID).Scan(&uploaded); err != nil {
		return nil, 0, fmt.Errorf("evidence: count files: %w", store.Translate(err))
	}
	files, err = s.files(ctx, q, "flow_id = $1 AND removed_at IS NULL", flowID)
	return files, uploaded, err
}

// RemoveFile marks picture id of flowID removed, if it has not joined an
// application, and returns it; its object is the caller's to destroy.
func (s *Store) RemoveFile(ctx context.Context, q store.Querier, flowID, id string) (File, error) {
	if !token.ValidID(id) {
		return File{}, noFile()
	}
	row := q.QueryRowContext(ctx, `UPDATE application_files SET removed_at = $1
		WHERE id = $2 AND flow_id = $3 AND application_id IS NULL AND removed_at IS NULL RETURNING `+fileColumns,
		store.Millis(s.clock.Now()), id, flowID)
	f, err := scanFile(row)
	if store.IsNoRows(err) {
		return File{}, noFile()
	}
	return f, err
}

// File returns picture id of application appID.
func (s *Store) File(ctx context.Context, q store.Querier, appID, id string) (File, error) {
	if !token.ValidID(id) {
		return File{}, noFile()
	}
	files, err := s.files(ctx, q, "application_id = $1 AND id = $2", appID, id)
	if err != nil {
		return File{}, err
	}
	if len(files) == 0 {
		return File{}, noFile()
	}
	return files[0], nil
}

func noFile() error { return apperr.New(apperr.NotFound, "no such picture") }

func (s *Store) files(ctx context.Context, q store.Querier, where string, args ...any) ([]File, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+fileColumns+" FROM application_files WHERE "+where+" ORDER BY created_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("evidence: files: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evidence: files: %w", err)
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanFile(row scanner) (File, error) {
	var f File
	var app *string
	var kind, meta string
	var phash, created int64
	err := row.Scan(&f.ID, &f.FlowID, &f.AccountID, &app, &kind, &f.BlobID, &f.MIME, &f.Width, &f.Height, &f.SHA256, &phash, &meta, &created)
	if err != nil {
		if store.IsNoRows(err) {
			return File{}, err
		}
		return File{}, fmt.Errorf("evidence: read file: %w", store.Translate(err))
	}
	if app != nil {
		f.ApplicationID = *app
	}
	f.Kind, f.PHash, f.CreatedAt = Kind(kind), uint64(phash), store.Time(created)
	if err := json.Unmarshal([]byte(meta), &f.Meta); err != nil {
		return File{}, fmt.Errorf("evidence: file %s findings: %w", f.ID, err)
	}
	return f, nil
}

// FromUpload describes a processed picture as a file of flowID.
func FromUpload(p *upload.Processed, flowID, accountID string, kind Kind, blobID string) File {
	return File{FlowID: flowID, AccountID: accountID, Kind: kind, BlobID: blobID, MIME: p.MIME, Width: p.Width,
		Height: p.Height, SHA256: fmt.Sprintf("%x", p.SHA256), PHash: p.PHash, Meta: p.Findings}
}

// placeholders returns "$from, $from+1, …" for n values.
func placeholders(from, n int) string {
	marks := make([]string, n)
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(marks, ", ")
}
