package reset_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/upload/uploadtest"
)

// benchServer is a whole server for the benchmarks, on the database named
// (a fresh SQLite file, or a fresh PostgreSQL schema when one is
// configured), keeping documents sealed in a file:// folder the benchmark
// can look into.
type benchServer struct {
	*apptest.Server
	folder   string // of the bucket
	accounts int
}

// startBench starts a server on a fresh database of kind ("sqlite" or
// "postgres"). Benchmarks cannot run inside apptest.EachDatabase (it takes
// a *testing.T), so they name their database themselves.
func startBench(b *testing.B, kind string) *benchServer {
	url := storetest.SQLiteURL(b)
	if kind == "postgres" {
		url = storetest.PostgresURL(b) // skips when PostgreSQL is not configured
	}
	folder := filepath.Join(b.TempDir(), "documents")
	s := apptest.Start(b, apptest.Options{DatabaseURL: url, Env: map[string]string{"REBIND_BLOB_URL": "file://" + filepath.ToSlash(folder)}})
	return &benchServer{Server: s, folder: folder}
}

// newFlow makes a fresh account and brings a reset of it to the method
// choice, where pictures are uploaded. Its class (no KYC, no transfers)
// sends email screenshots, up to 6.
func (s *benchServer) newFlow(b *testing.B) string {
	s.accounts++
	email := fmt.Sprintf("bench%d@example.com", s.accounts)
	s.CreateAccount(b, email, pw, fmt.Sprintf("+658200%04d", s.accounts), false)
	return s.ResetToMethod(b, email, pw)
}

// uploadsPerFlow is how many pictures one reset may upload, removed ones
// included (reset.Service's maxUploadsPerFlow: 3 × the files of an
// application); the benchmarks start a new reset before reaching it.
func (s *benchServer) uploadsPerFlow() int { return 3 * s.Reset.Uploads.Limits().MaxFiles }

// sealedSize is the size of a stored object in the bucket's folder.
func (s *benchServer) sealedSize(b *testing.B, f evidence.File) int64 {
	fi, err := os.Stat(filepath.Join(s.folder, f.BlobID))
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

var benchDatabases = []string{"sqlite", "postgres"}

// BenchmarkUploadEndToEnd uploads one 8 MB, 12 MP photo at a time through
// reset.Service.Upload as the API handler calls it: the flow checked, the
// whole upload pipeline (BenchmarkProcess12MP in internal/upload), then in
// one transaction the flow locked, the room counted, the picture sealed
// (AES-256-GCM under its own key, the key wrapped in the database) and
// written to the bucket, and the file recorded. Removing the picture after
// each upload, so that the reset's limits never refuse, is not timed.
// peak-heap-MB is the most the heap held above what it held before the
// loop, the input aside (as BenchmarkProcess12MP reports it).
func BenchmarkUploadEndToEnd(b *testing.B) {
	upright, turned := phonePhotos(b)
	for _, db := range benchDatabases {
		for _, c := range []struct {
			name string
			data []byte
		}{{"orientation1", upright}, {"orientation6", turned}} {
			b.Run(db+"/"+c.name, func(b *testing.B) { benchOneAtATime(b, startBench(b, db), c.data) })
		}
	}
}

func benchOneAtATime(b *testing.B, s *benchServer, data []byte) {
	ctx := context.Background()
	flowID, used := s.newFlow(b), 0
	var sealed int64
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	base := uploadtest.HeapNow()
	h := uploadtest.StartHeapPeak()
	for b.Loop() {
		if used == s.uploadsPerFlow() {
			b.StopTimer()
			flowID, used = s.newFlow(b), 0
			b.StartTimer()
		}
		f, err := s.Reset.Upload(ctx, flowID, reset.Picture{Kind: evidence.EmailScreenshot, Data: data})
		if err != nil {
			b.Fatal(err)
		}
		used++
		b.StopTimer()
		sealed = s.sealedSize(b, f)
		if err := s.Reset.RemoveFile(ctx, flowID, f.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(h.End()-base)/mib, "peak-heap-MB")
	b.ReportMetric(float64(base)/mib, "base-heap-MB")
	b.ReportMetric(float64(len(data))/mib, "input-MB")
	b.ReportMetric(float64(sealed)/mib, "sealed-MB")
}

// BenchmarkUploadEndToEndTenAtOnce sends ten of the orientation-6 photo at
// once, each to its own reset, as ten requests would arrive: each copies
// its photo into bytes of its own first, as a handler holds the body it
// read, so peak-heap-MB (above the heap before the loop) counts the ten
// inputs too. ns/op is the time for all ten.
func BenchmarkUploadEndToEndTenAtOnce(b *testing.B) {
	_, turned := phonePhotos(b)
	for _, db := range benchDatabases {
		b.Run(db, func(b *testing.B) { benchTenAtOnce(b, startBench(b, db), turned) })
	}
}

func benchTenAtOnce(b *testing.B, s *benchServer, photo []byte) {
	const n = 10
	ctx := context.Background()
	flows, used := make([]string, n), 0
	for i := range flows {
		flows[i] = s.newFlow(b)
	}
	b.ReportAllocs()
	base := uploadtest.HeapNow()
	h := uploadtest.StartHeapPeak()
	for b.Loop() {
		if used == s.uploadsPerFlow() {
			b.StopTimer()
			for i := range flows {
				flows[i] = s.newFlow(b)
			}
			used = 0
			b.StartTimer()
		}
		files := make([]evidence.File, n)
		var wg sync.WaitGroup
		for i, flowID := range flows {
			wg.Go(func() {
				f, err := s.Reset.Upload(ctx, flowID, reset.Picture{Kind: evidence.EmailScreenshot, Data: bytes.Clone(photo)})
				if err != nil {
					b.Error(err)
				}
				files[i] = f
			})
		}
		wg.Wait()
		used++
		b.StopTimer()
		for i, f := range files {
			if err := s.Reset.RemoveFile(ctx, flows[i], f.ID); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	p := s.Reset.Uploads
	b.ReportMetric(float64(h.End()-base)/mib, "peak-heap-MB")
	b.ReportMetric(float64(base)/mib, "base-heap-MB")
	b.ReportMetric(float64(p.PeakDecodes()), "decodes-at-once")
	b.ReportMetric(float64(p.Concurrency()), "slots")
}
