package crispr

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Record is one sequence of a FASTA file.
type Record struct {
	Name  string // the header's first word, without '>'
	Bases string // upper case; other letters than ACGT (N, IUPAC codes) are kept and never part of a site
}

// ParseFASTA reads the records of a FASTA file. Lines starting with ';'
// are comments; blank lines are skipped. Bases before any header, a record
// without a name or without bases, and characters that are not letters
// are errors naming the line.
func ParseFASTA(r io.Reader) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var (
		recs  []Record
		bases strings.Builder
		line  int
	)
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		if bases.Len() == 0 {
			return fmt.Errorf("fasta: record %q has no bases", recs[len(recs)-1].Name)
		}
		recs[len(recs)-1].Bases = bases.String()
		bases.Reset()
		return nil
	}
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		switch {
		case len(b) == 0 || b[0] == ';':
			continue
		case b[0] == '>':
			if err := flush(); err != nil {
				return nil, err
			}
			name, _, _ := strings.Cut(strings.TrimSpace(string(b[1:])), " ")
			if name == "" {
				return nil, fmt.Errorf("fasta: line %d: a header without a name; write >name", line)
			}
			recs = append(recs, Record{Name: name})
		default:
			if len(recs) == 0 {
				return nil, fmt.Errorf("fasta: line %d: bases before the first header; start the file with >name", line)
			}
			for i, c := range b {
				if c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
				}
				if c < 'A' || c > 'Z' {
					return nil, fmt.Errorf("fasta: line %d, column %d: %q is not a base", line, i+1, c)
				}
				bases.WriteByte(c)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fasta: line %d: %w", line+1, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("fasta: no records; a FASTA file starts with >name")
	}
	return recs, nil
}

// WriteFASTA writes records with lines of width bases.
func WriteFASTA(w io.Writer, recs []Record, width int) error {
	bw := bufio.NewWriter(w)
	for _, r := range recs {
		fmt.Fprintf(bw, ">%s\n", r.Name)
		for i := 0; i < len(r.Bases); i += width {
			bw.WriteString(r.Bases[i:min(i+width, len(r.Bases))])
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}
