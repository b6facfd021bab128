package record

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Reader reads a recording line by line, in bounded memory: one line of at
// most MaxLine bytes at a time.
type Reader struct {
	br     *bufio.Reader
	line   int // number of the last line read
	header Header
	done   error // once Next has failed, what it keeps returning
}

// NewReader reads the header of the recording r holds. It refuses, with
// words, an empty file, a file that is not a recording (a --json stream,
// anything else) and a format newer than Format.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, MaxLine+1)}
	line, err := rd.readLine()
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: the file is empty", ErrNotRecording)
	case err != nil && !errors.Is(err, ErrCut):
		return nil, err
	}
	// A first line without its newline is read as it is: a whole header
	// with nothing after it is an empty recording, a cut one is refused.
	h, err := decodeHeader(line)
	if err != nil {
		return nil, &LineError{Line: 1, Err: err}
	}
	rd.header = h
	return rd, nil
}

// Header is the recording's header.
func (r *Reader) Header() Header { return r.header }

// Line is the number of the last line read.
func (r *Reader) Line() int { return r.line }

// Next returns the next entry. At the end it returns io.EOF; for a last
// line cut short, a *LineError wrapping ErrCut (everything before it was
// whole). Any other error is a *LineError naming the line and what is wrong
// with it; after an error Next returns the same error again.
func (r *Reader) Next() (Entry, error) {
	if r.done != nil {
		return Entry{}, r.done
	}
	for {
		line, err := r.readLine()
		if err != nil && !errors.Is(err, ErrCut) {
			r.done = err
			return Entry{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 && err == nil {
			continue // a blank line says nothing
		}
		e, derr := decodeEntry(line)
		switch {
		case derr == nil && err == nil:
			e.Line = r.line
			return e, nil
		case errors.Is(err, ErrCut) && derr == nil:
			// The writer stopped between a whole line and its newline.
			e.Line = r.line
			r.done = io.EOF
			return e, nil
		case errors.Is(err, ErrCut):
			r.done = &LineError{Line: r.line, Err: ErrCut}
		default:
			r.done = &LineError{Line: r.line, Err: derr}
		}
		return Entry{}, r.done
	}
}

// readLine reads one line without its newline. At the end of the file it
// returns io.EOF, or the last line's bytes with ErrCut when that line has no
// newline. A line over MaxLine is an error naming it.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	r.line++
	switch {
	case err == nil:
		return line[:len(line)-1], nil
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, &LineError{Line: r.line, Err: fmt.Errorf("longer than %d KiB: not a line ringside writes", MaxLine>>10)}
	case errors.Is(err, io.EOF) && len(line) == 0:
		r.line--
		return nil, io.EOF
	case errors.Is(err, io.EOF):
		return line, ErrCut
	}
	return nil, &LineError{Line: r.line, Err: fmt.Errorf("read: %w", err)}
}
