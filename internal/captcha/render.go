package captcha

import (
	crand "crypto/rand"
	"fmt"
	"image"
	"math/rand/v2"

	"github.com/wenlng/go-captcha/v2/base/option"
	"github.com/wenlng/go-captcha/v2/slide"
)

// The picture's size (the library's default) and the range of the piece's
// side, in pixels.
const (
	Width        = 300
	Height       = 220
	minPieceSide = 58
	maxPieceSide = 68
	jpegQuality  = 85
)

// puzzle is a drawn challenge: the images to show and the answer to keep.
type puzzle struct {
	background, piece string // data: URLs
	answerX, pieceY   int
}

// newRand returns a generator seeded from the CSPRNG, one per challenge.
func newRand() *rand.Rand {
	var seed [32]byte
	crand.Read(seed[:])
	return rand.New(rand.NewChaCha8(seed))
}

// drawPuzzle makes a puzzle: our own background and piece shape, handed to the
// library, which picks the gap, darkens it with the shadow and cuts the
// piece. Its basic mode keeps the piece on the gap's row, so only x is
// asked.
func drawPuzzle(rng *rand.Rand) (puzzle, error) {
	// The library now and then puts the gap one pixel past the right
	// edge (its range is one too wide); such a draw is drawn again.
	for {
		p, side, err := drawOnce(rng)
		if err != nil || p.answerX+side <= Width {
			return p, err
		}
	}
}

// drawOnce draws a puzzle and returns it with the side of its piece.
func drawOnce(rng *rand.Rand) (puzzle, int, error) {
	b := slide.NewBuilder(
		slide.WithImageSize(option.Size{Width: Width, Height: Height}),
		slide.WithRangeGraphSize(option.RangeVal{Min: minPieceSide, Max: maxPieceSide}),
	)
	b.SetResources(
		slide.WithBackgrounds([]image.Image{background(rng, Width, Height)}),
		slide.WithGraphImages([]*slide.GraphImage{newJigsaw(rng).graph()}),
	)
	data, err := b.Make().Generate()
	if err != nil {
		return puzzle{}, 0, fmt.Errorf("captcha: draw: %w", err)
	}
	// The library's ToBase64 (unlike ToBase64Data) includes the data: prefix.
	bg, err := data.GetMasterImage().ToBase64WithQuality(jpegQuality)
	if err != nil {
		return puzzle{}, 0, fmt.Errorf("captcha: encode background: %w", err)
	}
	piece, err := data.GetTileImage().ToBase64()
	if err != nil {
		return puzzle{}, 0, fmt.Errorf("captcha: encode piece: %w", err)
	}
	block := data.GetData()
	side := max(block.Width, data.GetTileImage().Get().Bounds().Dx())
	return puzzle{background: bg, piece: piece, answerX: block.X, pieceY: block.Y}, side, nil
}
