package captcha

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// Trails written down from drags in a browser, in the shape the page sends:
// the piece's left edge and the pointer's height, ms since pointerdown.
var recorded = []struct {
	name  string
	x     int
	trail []Point
}{
	{"mouse, overshoot and settle", 142, []Point{
		{0, 0, 105}, {83, 1, 105}, {99, 4, 106}, {115, 10, 106}, {131, 19, 107}, {147, 31, 107},
		{163, 45, 108}, {179, 60, 108}, {195, 76, 109}, {211, 91, 109}, {227, 105, 110},
		{243, 117, 110}, {259, 127, 111}, {275, 134, 111}, {291, 139, 111}, {307, 142, 112},
		{323, 144, 112}, {339, 145, 112}, {371, 144, 112}, {403, 143, 112}, {452, 142, 112},
		{612, 142, 112},
	}},
	{"touch, a pause to compare halfway", 187, []Point{
		{0, 2, 160}, {112, 3, 161}, {128, 6, 163}, {145, 12, 164}, {161, 21, 166}, {178, 33, 167},
		{194, 47, 168}, {211, 62, 168}, {227, 78, 169}, {244, 93, 171}, {260, 107, 172},
		{277, 119, 172}, {293, 128, 173}, {310, 134, 173}, {343, 137, 174}, {410, 138, 174},
		{520, 139, 175}, {585, 142, 175}, {602, 149, 176}, {618, 158, 176}, {635, 167, 177},
		{651, 175, 177}, {668, 181, 178}, {684, 185, 178}, {701, 188, 178}, {734, 189, 179},
		{784, 188, 179}, {851, 187, 179}, {985, 187, 179},
	}},
	{"touchpad, coalesced events in the same ms", 96, []Point{
		{0, 0, 88}, {48, 0, 88}, {64, 2, 88}, {64, 3, 89}, {80, 7, 89}, {96, 14, 89}, {96, 16, 89},
		{112, 25, 90}, {128, 36, 90}, {144, 48, 90}, {144, 50, 91}, {160, 61, 91}, {176, 72, 91},
		{192, 82, 91}, {208, 90, 92}, {224, 96, 92}, {240, 100, 92}, {256, 102, 92}, {288, 101, 92},
		{336, 99, 91}, {400, 97, 91}, {464, 96, 91}, {560, 96, 91},
	}},
	{"slow and careful, 4 s", 221, slowDrag()},
}

// slowDrag is a hesitant drag: it creeps, speeds up, stops short, then
// nudges the piece home pixel by pixel.
func slowDrag() []Point {
	var t []Point
	for i := range 60 {
		tau := float64(i) / 59
		t = append(t, Point{i * 50, int(math.Round(200 * minJerk(tau))), 70 + i/9})
	}
	for i, x := range []int{203, 206, 209, 212, 215, 217, 219, 220, 221, 221} {
		t = append(t, Point{3000 + i*100, x, 77})
	}
	return t
}

func TestHumanAcceptsRecordedTrails(t *testing.T) {
	for _, c := range recorded {
		t.Run(c.name, func(t *testing.T) {
			if err := Human(c.trail, c.x, 300); err != nil {
				t.Errorf("a person's drag was refused: %v", err)
			}
		})
	}
}

// TestHumanAcceptsModelTrails checks many drags from the human model, over
// every answer the library can ask for, so that a person is never refused
// for the drag alone.
func TestHumanAcceptsModelTrails(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 5000 {
		x := 80 + i%180
		trail := HumanTrail(rng, x)
		if err := Human(trail, x, Width); err != nil {
			t.Fatalf("model drag %d to %d refused: %v\n%v", i, x, err, trail)
		}
	}
}

// line is what a naive script posts: n samples every dt ms from 0 to x at
// one speed; jitter moves y by a pixel now and then.
func line(n, dt, x int, jitter bool) []Point {
	t := make([]Point, n)
	for i := range t {
		t[i] = Point{i * dt, int(math.Round(float64(x*i) / float64(n-1))), 100}
		if jitter && i%3 == 1 {
			t[i].Y++
		}
	}
	return t
}

// eased is a trail that follows pos(τ) for τ in [0, 1] over ms, n samples.
func eased(n, ms, x int, pos func(float64) float64) []Point {
	t := make([]Point, n)
	for i := range t {
		tau := float64(i) / float64(n-1)
		t[i] = Point{int(tau * float64(ms)), int(math.Round(float64(x) * pos(tau))), 100 + i%2}
	}
	return t
}

func TestHumanRefusesBotTrails(t *testing.T) {
	const x = 150
	human := HumanTrail(rand.New(rand.NewPCG(1, 1)), x)
	jump := append([]Point(nil), human...)
	for i := len(jump) / 3; i < len(jump); i++ {
		jump[i].X = min(jump[i].X+70, x) // the piece leaps 70 px ahead
	}
	rested := append([]Point{{0, 0, 100}, {60, 0, 101}, {120, 0, 100}}, line(40, 16, x, true)...)
	for i := 3; i < len(rested); i++ {
		rested[i].T += 180
	}
	rested = append(rested, Point{rested[len(rested)-1].T + 150, x, 100})
	var paused []Point // one speed to halfway, 300 ms still, on at the same speed
	for i := range 60 {
		pos := min(i, 20)*x/2/20 + max(i-40, 0)*x/2/19
		paused = append(paused, Point{i * 16, pos, 100 + i%3/2})
	}
	rng := rand.New(rand.NewPCG(3, 3))
	noisy := []Point{{0, 0, 100}}
	for pos, tm := 0, 0; pos < x; {
		pos, tm = min(pos+2+rng.IntN(7), x), tm+16
		noisy = append(noisy, Point{tm, pos, 100 + rng.IntN(2)})
	}
	cases := []struct {
		name  string
		trail []Point
		x     int
		want  error
	}{
		{"nothing", nil, x, errFewSamples},
		{"start and end only", []Point{{0, 0, 100}, {400, x, 101}}, x, errFewSamples},
		{"too few samples", eased(5, 600, x, minJerk), x, errFewSamples},
		{"too fast", eased(15, 70, x, minJerk), x, errDuration},
		{"too slow", eased(60, 25_000, x, minJerk), x, errDuration},
		{"starts mid-track", eased(30, 600, x, func(t float64) float64 { return 0.3 + 0.7*minJerk(t) }), x, errStart},
		{"ends away from the answer", human, x + 10, errEnd},
		{"times go backwards", []Point{{0, 0, 1}, {20, 1, 1}, {10, 2, 1}}, x, errTimeOrder},
		{"teleports", jump, x, errTeleport},
		{"straight line, constant speed", line(30, 16, x, false), x, errNoJitter},
		{"straight line with jitter", line(30, 16, x, true), x, errStraight},
		{"line with rests at both ends", rested, x, errStraight},
		{"line with a pause halfway", paused, x, errFlatSpeed},
		{"random speed around one mean", noisy, x, errFlatSpeed},
		{"fast, then slow", eased(40, 640, x, func(t float64) float64 { return min(1.6*t, 0.8+0.2*t) }), x, errNoEase},
		{"speeds up and stops dead", eased(40, 640, x, func(t float64) float64 { return t * t }), x, errNoEase},
		{"never moves", line(30, 16, 0, true), 0, errStraight},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := Human(c.trail, c.x, Width); !errors.Is(err, c.want) {
				t.Errorf("Human = %v, want %v", err, c.want)
			}
		})
	}
}

// TestHumanRefusesConstantSpeedBots varies the naive script's speed,
// sampling, timing noise, jitter and rests before and after: a drag at one
// speed is always refused, however its timestamps are shuffled.
func TestHumanRefusesConstantSpeedBots(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range 2000 {
		x, ms, rest := 80+rng.IntN(180), 300+rng.IntN(4000), rng.IntN(2)*(50+rng.IntN(300))
		trail := []Point{{0, 0, 100}}
		for tm := 0; tm < ms; {
			tm = min(tm+4+rng.IntN(30), ms)
			pos := int(math.Round(float64(x*tm) / float64(ms)))
			trail = append(trail, Point{rest + tm, pos, 100 + rng.IntN(3) - 1})
		}
		if rest > 0 {
			trail = append(trail, Point{2*rest + ms, x, 100})
		}
		if err := Human(trail, x, Width); err == nil {
			t.Fatalf("constant-speed bot %d (x %d over %d ms, rests %d ms) passed", i, x, ms, rest)
		}
	}
}

// TestHumanThresholdEdges pins the documented limits.
func TestHumanThresholdEdges(t *testing.T) {
	stretch := func(ms int) []Point { return eased(20, ms, 120, minJerk) }
	for _, c := range []struct {
		name string
		err  error
	}{
		{"250 ms", Human(stretch(250), 120, Width)},
		{"20 s", Human(stretch(20_000), 120, Width)},
	} {
		if c.err != nil {
			t.Errorf("%s: refused: %v", c.name, c.err)
		}
	}
	if err := Human(stretch(249), 120, Width); !errors.Is(err, errDuration) {
		t.Errorf("249 ms: %v, want %v", err, errDuration)
	}
	if err := Human(stretch(20_001), 120, Width); !errors.Is(err, errDuration) {
		t.Errorf("20.001 s: %v, want %v", err, errDuration)
	}
	if err := Human(eased(9, 600, 120, minJerk), 120, Width); !errors.Is(err, errFewSamples) {
		t.Errorf("9 samples: %v, want %v", err, errFewSamples)
	}
	if err := Human(eased(10, 600, 120, minJerk), 120, Width); err != nil {
		t.Errorf("10 samples: refused: %v", err)
	}
	for _, off := range []int{-3, 3} {
		if err := Human(stretch(800), 120+off, Width); err != nil {
			t.Errorf("drop %+d px from the last sample: refused: %v", off, err)
		}
	}
	if err := Human(stretch(800), 124, Width); !errors.Is(err, errEnd) {
		t.Errorf("drop 4 px from the last sample: %v, want %v", err, errEnd)
	}
}

// FuzzHuman feeds arbitrary trails to the judge: it must never panic.
func FuzzHuman(f *testing.F) {
	f.Add([]byte{0, 0, 0, 16, 5, 1, 32, 20, 2}, 20)
	f.Fuzz(func(t *testing.T, b []byte, x int) {
		var trail []Point
		tm := 0
		for i := 0; i+2 < len(b); i += 3 {
			tm += int(b[i]) - 8
			trail = append(trail, Point{tm, int(int8(b[i+1])) * 3, int(b[i+2])})
		}
		_ = Human(trail, x, Width)
	})
}
