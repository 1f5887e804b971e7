package ocr

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"strconv"
	"strings"
)

// Word is one word read, with where it is in the picture handed to the
// reader (after Prepare's scaling) and the reader's confidence, 0 to 100.
type Word struct {
	Text string
	Box  image.Rectangle
	Conf float64
}

// Line is the words of one line, left to right.
type Line struct {
	Words []Word
}

// String is the line's words separated by spaces.
func (l Line) String() string {
	s := make([]string, len(l.Words))
	for i, w := range l.Words {
		s[i] = w.Text
	}
	return strings.Join(s, " ")
}

// Text is what a picture reads, line by line in the reader's order: block
// by block (a column of a layout is a block), top to bottom within each.
type Text struct {
	Lines []Line
}

// String is the lines, one a line.
func (t Text) String() string {
	s := make([]string, len(t.Lines))
	for i, l := range t.Lines {
		s[i] = l.String()
	}
	return strings.Join(s, "\n")
}

// Words counts the words read.
func (t Text) Words() int {
	n := 0
	for _, l := range t.Lines {
		n += len(l.Words)
	}
	return n
}

// parseTSV reads tesseract's TSV: a header, then one row a page, block,
// paragraph, line or word (level 1 to 5); the words of one (block,
// paragraph, line) make a line.
func parseTSV(out []byte) (Text, error) {
	var t Text
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), maxOutput)
	type key struct{ block, par, line int }
	var cur key
	first := true
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 12 || f[0] != "5" {
			continue // the header, a row of another level, or a short row
		}
		n, err := ints(f[2:10])
		if err != nil {
			return Text{}, fmt.Errorf("ocr: tsv row %q: %w", f[:10], err)
		}
		text := strings.TrimSpace(strings.Join(f[11:], "\t"))
		if text == "" {
			continue
		}
		conf, _ := strconv.ParseFloat(f[10], 64)
		k := key{n[0], n[1], n[2]}
		if first || k != cur {
			t.Lines = append(t.Lines, Line{})
			cur, first = k, false
		}
		w := Word{Text: text, Box: image.Rect(n[4], n[5], n[4]+n[6], n[5]+n[7]), Conf: conf}
		l := &t.Lines[len(t.Lines)-1]
		l.Words = append(l.Words, w)
	}
	if err := sc.Err(); err != nil {
		return Text{}, fmt.Errorf("ocr: tsv: %w", err)
	}
	return t, nil
}

func ints(fs []string) ([]int, error) {
	out := make([]int, len(fs))
	for i, s := range fs {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}
