package record

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// Bounds of the queue between whoever records (the provider's events, the
// console's actions) and the file. A line is taken or dropped at once, never
// waited for: a slow disk must not slow the console. A burst of a demo
// starting with 100,000 calls is kept whole; beyond either bound a line is
// dropped and counted.
const (
	queueLines = 16384
	queueBytes = 16 << 20
	// bufferSize is the file buffer: lines are written in whole runs of
	// at most this much, flushed whenever the queue is empty.
	bufferSize = 64 << 10
)

// Writer writes a recording: the header at once, then every line handed to
// Put, from a goroutine of its own, in the order given. Put never blocks.
type Writer struct {
	path string
	file io.WriteCloser
	log  *slog.Logger

	queue  chan []byte
	queued atomic.Int64 // bytes in the queue
	lost   atomic.Uint64
	closed atomic.Bool

	stop, done chan struct{}
	closeOnce  sync.Once
	closeErr   error

	// Owned by the writing goroutine until done is closed.
	failed   error // the first write error; nothing is written after it
	buffered int   // lines in the file buffer, lost if its flush fails
	// warnLoss limits the log to a line every so often while lines are
	// being lost.
	warnLoss rate.Sometimes
}

// Create creates the recording at path, readable by its owner only (a
// recording names callers and numbers), writes the header and starts
// writing. It refuses a path that is a symbolic link or an existing regular
// file: a recording is not overwritten by the next one.
func Create(path string, h Header, log *slog.Logger) (*Writer, error) {
	f, err := createFile(path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	w, err := newWriter(f, path, h, log)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return w, nil
}

func createFile(path string) (*os.File, error) {
	info, err := os.Lstat(path)
	switch {
	case err == nil && info.Mode()&os.ModeSymlink != 0:
		return nil, fmt.Errorf("%s is a symbolic link; give the path of the file itself", path)
	case err == nil && info.Mode().IsRegular():
		return nil, fmt.Errorf("%s exists; a recording is never overwritten: give a new name or remove it", path)
	case err == nil:
		// A named pipe or a device: written as it is.
		return os.OpenFile(path, os.O_WRONLY, 0)
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	// O_EXCL: a file that appeared since the look is not written over.
	return os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
}

// newWriter writes the header to file and starts the goroutine that writes
// the rest. path only names the recording in words.
func newWriter(file io.WriteCloser, path string, h Header, log *slog.Logger) (*Writer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h.Type, h.Format = TypeHeader, Format
	header, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("record: header: %w", err)
	}
	// The header is written before anything else happens, so a recording
	// that cannot be written fails at start, in words.
	if _, err := file.Write(append(header, '\n')); err != nil {
		return nil, fmt.Errorf("record: write %s: %w", path, err)
	}
	w := &Writer{
		path: path, file: file, log: log,
		queue:    make(chan []byte, queueLines),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		warnLoss: rate.Sometimes{Interval: 10 * time.Second},
	}
	go w.run()
	return w, nil
}

// Path is where the recording goes.
func (w *Writer) Path() string { return w.path }

// Put queues line (one JSON object, without its newline) and returns at
// once: false when the line was dropped (the queue is full, a write failed
// earlier, the line is over MaxLine, or the writer is closed), in which
// case it is counted in Lost. line must not be changed afterwards.
func (w *Writer) Put(line []byte) bool {
	n := int64(len(line) + 1)
	switch {
	case w.closed.Load():
		return false
	case n > MaxLine:
		w.log.Warn("recording: a line over the bound was left out", "bytes", n, "max", MaxLine)
		w.lose(1)
		return false
	}
	if w.queued.Add(n) > queueBytes {
		w.queued.Add(-n)
		w.lose(1)
		return false
	}
	select {
	case w.queue <- line:
		return true
	default:
		w.queued.Add(-n)
		w.lose(1)
		return false
	}
}

// Lost is how many lines were not written: dropped while the disk could
// not keep up, or after a write failed.
func (w *Writer) Lost() uint64 { return w.lost.Load() }

// Close writes what is queued, flushes it to the disk and closes the file.
// Its error says what went wrong with the recording, including lines lost.
// Lines put after Close are dropped.
func (w *Writer) Close() error {
	w.closeOnce.Do(func() {
		w.closed.Store(true)
		close(w.stop)
		<-w.done
		var errs []error
		if w.failed != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", w.path, w.failed))
		}
		if f, ok := w.file.(*os.File); ok && w.failed == nil {
			// A recording is kept to be looked at after something went
			// wrong: on the disk, not in a cache, when ringside exits.
			if err := f.Sync(); err != nil && !isNoSync(err) {
				errs = append(errs, fmt.Errorf("sync %s: %w", w.path, err))
			}
		}
		if err := w.file.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", w.path, err))
		}
		if lost := w.lost.Load(); lost > 0 {
			errs = append(errs, fmt.Errorf("%s: %d line(s) were not recorded (the disk could not keep up, or a write failed)", w.path, lost))
		}
		if len(errs) > 0 {
			w.closeErr = fmt.Errorf("record: %w", errors.Join(errs...))
		}
	})
	return w.closeErr
}

// run writes queued lines until Close: each burst is written, then flushed
// once, so a quiet recording is never held back and a busy one costs a
// write per 64 KiB.
func (w *Writer) run() {
	defer close(w.done)
	bw := bufio.NewWriterSize(w.file, bufferSize)
	for {
		select {
		case line := <-w.queue:
			w.write(bw, line)
			w.drain(bw)
			w.flush(bw)
		case <-w.stop:
			w.drain(bw)
			w.flush(bw)
			return
		}
	}
}

// drain writes every line already queued.
func (w *Writer) drain(bw *bufio.Writer) {
	for {
		select {
		case line := <-w.queue:
			w.write(bw, line)
		default:
			return
		}
	}
}

// write writes one line whole: a line that does not fit what is left of
// the buffer goes after a flush, so every write to the file ends at the end
// of a line and a recording stopped at any moment holds whole lines only.
func (w *Writer) write(bw *bufio.Writer, line []byte) {
	w.queued.Add(-int64(len(line) + 1))
	if w.failed != nil {
		w.lose(1)
		return
	}
	if bw.Available() < len(line)+1 && bw.Buffered() > 0 {
		w.flush(bw)
		if w.failed != nil {
			w.lose(1)
			return
		}
	}
	// One Write of the whole line: bufio either copies it into the buffer
	// or, when the buffer is empty and the line larger, writes it directly.
	w.buffered++
	if _, err := bw.Write(append(line, '\n')); err != nil {
		w.fail(err)
		w.lose(w.buffered)
		w.buffered = 0
	}
}

func (w *Writer) flush(bw *bufio.Writer) {
	if w.failed != nil || bw.Buffered() == 0 {
		w.buffered = 0
		return
	}
	err := bw.Flush()
	if err != nil {
		w.fail(err)
		w.lose(w.buffered)
	}
	w.buffered = 0
}

func (w *Writer) fail(err error) {
	w.failed = err
	w.log.Error("recording: write failed; nothing more is recorded", "path", w.path, "err", err)
}

// lose counts n lines lost, and logs it now and then.
func (w *Writer) lose(n int) {
	if n <= 0 {
		return
	}
	w.lost.Add(uint64(n))
	w.warnLoss.Do(func() {
		w.log.Warn("recording: lines lost", "path", w.path, "lost_total", w.lost.Load())
	})
}

// isNoSync reports whether err only says the file cannot be synced (a pipe,
// a terminal): nothing was lost.
func isNoSync(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, os.ErrInvalid)
}
