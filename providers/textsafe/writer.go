package textsafe

import (
	"bytes"
	"io"
)

// MaxWriterLine is how much of one line NewWriter's writer passes on: room
// for an error that wraps a server's refusal in several layers of context.
const MaxWriterLine = 4 * MaxLine

// NewWriter returns a writer that cleans what it is given line by line
// (Clean, each line cut to MaxWriterLine characters) before passing it to w,
// keeping the line breaks. It is for a terminal's stderr, where error
// messages quote servers: an escape sequence split across two writes loses
// its ESC in the first and is harmless text in the second.
func NewWriter(w io.Writer) io.Writer { return &writer{w} }

type writer struct{ w io.Writer }

func (c *writer) Write(p []byte) (int, error) {
	var out bytes.Buffer
	out.Grow(len(p))
	for i, line := range bytes.Split(p, []byte{'\n'}) {
		if i > 0 {
			out.WriteByte('\n')
		}
		out.WriteString(Cut(Clean(string(bytes.TrimSuffix(line, []byte{'\r'}))), MaxWriterLine))
	}
	if _, err := c.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}
