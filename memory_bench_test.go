//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkMemoryPerCall measures what a live call costs the program in
// resident memory: the real binary, built for the run, started as a
// supervisor's load demo (--demo-calls N --read-only) in a pseudo-terminal,
// as a user runs it, with N = 0, 10,000, 50,000 and 100,000. Once the
// console holds the calls and the resident set has settled, VmRSS is read
// from /proc; B/call is (RSS(N) − RSS(0)) / N. Two more figures tell the
// per-call cost from what comes once, whatever the number of calls:
// anon-B/call is the same over RssAnon, the resident set less the pages of
// the binary itself (a console showing calls runs more of its code than an
// empty one), and step-B/call is (RSS(N) − RSS(N′)) / (N − N′) over the N′
// measured before. load-cpu-ms is the CPU time the program took (user and
// system) from its start until its calls were in (and the count had held
// still for loadedQuiet): the collector's work while the calls come in,
// among the rest.
//
// gc=default is the program as a user runs it, with no GOGC or GOMEMLIMIT
// in its environment, so that its own pacing (gcpace.go) applies.
// gc=GOGC100 sets GOGC=100, the runtime's default pacing, which turns the
// program's own off: the same figures without it, measured in the same
// run. Each run is bounded in time and the program is stopped (q, then
// killed if it does not go) before the next one starts.
//
//	go test -run '^$' -bench MemoryPerCall -benchtime 1x .
//	go test -run '^$' -bench MemoryPerCall/gc=default -benchtime 1x .
func BenchmarkMemoryPerCall(b *testing.B) {
	bin := buildProgram(b)
	for _, gc := range []struct{ name, env string }{
		{"gc=default", ""},
		{"gc=GOGC100", "GOGC=100"},
	} {
		b.Run(gc.name, func(b *testing.B) { memoryPerCall(b, bin, gc.env) })
	}
}

// memoryPerCall runs BenchmarkMemoryPerCall's figures for the program run
// with env added to its environment. The figures of one N are over the
// latest reading of the N before (with -count, the run just before).
func memoryPerCall(b *testing.B, bin, env string) {
	ns := []int{0, 10000, 50000, 100000}
	latest := make(map[int]resident, len(ns))
	for i, n := range ns {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			var got resident
			for b.Loop() {
				got = residentAt(b, bin, n, env)
			}
			latest[n] = got
			b.ReportMetric(float64(got.rss)/1024, "KiB-rss")
			b.ReportMetric(float64(got.loadCPU.Milliseconds()), "load-cpu-ms")
			if i == 0 {
				return
			}
			if base, ok := latest[0]; ok {
				b.ReportMetric(float64(got.rss-base.rss)/float64(n), "B/call")
				b.ReportMetric(float64(got.anon-base.anon)/float64(n), "anon-B/call")
			}
			if prev, ok := latest[ns[i-1]]; ok {
				b.ReportMetric(float64(got.rss-prev.rss)/float64(n-ns[i-1]), "step-B/call")
			}
		})
	}
}

// resident is a process's resident set: all of it (VmRSS) and its
// anonymous memory (RssAnon: the heap, stacks), in bytes; and the CPU time
// it had taken once its calls were in.
type resident struct {
	rss, anon int
	loadCPU   time.Duration
}

// buildProgram builds ringside into a temporary directory.
func buildProgram(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "ringside")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("build ringside: %v\n%s", err, out)
	}
	return bin
}

// residentAt runs the console with n demo calls and returns its resident set
// once the calls are in and the figure has settled.
func residentAt(tb testing.TB, bin string, n int, env string) resident {
	tb.Helper()
	master, slave, err := openPTY(120, 40)
	if err != nil {
		tb.Fatalf("pseudo-terminal: %v", err)
	}
	defer master.Close()
	cmd := exec.Command(bin, "--inline", "--read-only", "--theme", "mono", "--no-bell", "--config", "",
		"--demo-rate", "0", "--demo-seed", "1", "--demo-calls", strconv.Itoa(n))
	cmd.Env = programEnv()
	if env != "" {
		cmd.Env = append(cmd.Env, env)
	}
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		slave.Close()
		tb.Fatalf("start ringside: %v", err)
	}
	slave.Close() // the child holds its own
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer stopProgram(tb, cmd, master, exited)

	screen := watchTitle(master)
	deadline := time.Now().Add(2 * time.Minute)
	if err := screen.waitLoaded(n, deadline, exited); err != nil {
		tb.Fatalf("calls=%d: %v (stderr %q)", n, err, stderr.String())
	}
	loadCPU, err := readCPU(cmd.Process.Pid)
	if err != nil {
		tb.Fatalf("calls=%d: %v", n, err)
	}
	rss, err := settledRSS(cmd.Process.Pid, deadline)
	if err != nil {
		tb.Fatalf("calls=%d: %v", n, err)
	}
	rss.loadCPU = loadCPU
	return rss
}

// programEnv is this process's environment without ringside's own variables
// and without a collector setting of its own, so that only the flags given
// and the benchmark's own setting apply.
func programEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "RINGSIDE_") || strings.HasPrefix(kv, "GOGC=") ||
			strings.HasPrefix(kv, "GOMEMLIMIT=") || strings.HasPrefix(kv, "TERM=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TERM=xterm-256color", "NO_COLOR=1")
}

// stopProgram asks the console to quit with q and waits for it; a program
// that does not go within ten seconds is killed.
func stopProgram(tb testing.TB, cmd *exec.Cmd, master *os.File, exited <-chan error) {
	_, _ = master.Write([]byte("q"))
	select {
	case <-exited:
		return
	case <-time.After(10 * time.Second):
	}
	_ = cmd.Process.Kill()
	<-exited
	tb.Logf("ringside (pid %d) did not quit on q and was killed", cmd.Process.Pid)
}

// titleWatch follows the window title the console sets (OSC 0 or 2), which
// carries its ringing and active counts: the largest count seen and when it
// last grew tell when the start-up calls are all in.
type titleWatch struct {
	mu     sync.Mutex
	frames int       // output seen at all
	most   int       // the largest ringing + active count seen
	grew   time.Time // when most last grew (or the first output came)
}

func watchTitle(master *os.File) *titleWatch {
	w := &titleWatch{}
	go func() {
		r := bufio.NewReaderSize(master, 64<<10)
		for {
			b, err := r.ReadByte()
			if err != nil {
				return // the program has gone and the terminal is closed
			}
			if b != 0x1b {
				continue
			}
			if next, err := r.Peek(3); err == nil && next[0] == ']' && (next[1] == '0' || next[1] == '2') && next[2] == ';' {
				_, _ = r.Discard(3)
				title, err := r.ReadString(0x07)
				if err != nil {
					return
				}
				w.saw(countsIn(title))
				continue
			}
			w.saw(-1)
		}
	}()
	return w
}

func (w *titleWatch) saw(count int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.frames == 0 {
		w.grew = time.Now()
	}
	w.frames++
	if count > w.most {
		w.most, w.grew = count, time.Now()
	}
}

// countsIn is ringing + active of a title such as
// "ringside · 3 ringing · 12 active".
func countsIn(title string) int {
	n := 0
	for part := range strings.SplitSeq(title, " · ") {
		if num, _, ok := strings.Cut(part, " "); ok {
			if v, err := strconv.Atoi(num); err == nil {
				n += v
			}
		}
	}
	return n
}

// loadedQuiet is how long the count must stop growing before the calls are
// taken to be in: the demo sends them all at once, then only ends come.
const loadedQuiet = 1500 * time.Millisecond

// waitLoaded waits until the console shows n calls (a few may have ended
// already: the demo's connected calls end on their own script) and has shown
// no more for loadedQuiet.
func (w *titleWatch) waitLoaded(n int, deadline time.Time, exited <-chan error) error {
	for {
		w.mu.Lock()
		frames, most, grew := w.frames, w.most, w.grew
		w.mu.Unlock()
		if frames > 0 && most >= n-n/10 && time.Since(grew) >= loadedQuiet {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the program ended before its calls were in: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the console showed %d of %d calls (%d frames) by the deadline", most, n, frames)
		}
	}
}

// settledRSS reads the resident set four times a second until VmRSS has
// moved by less than 1% over settleFor, and returns the reading with the
// least VmRSS of those: the collector has run since the calls came in and
// given back what it freed (the start-up's peak is about twice the settled
// figure, and a busy machine can hold a collection up for seconds).
func settledRSS(pid int, deadline time.Time) (resident, error) {
	const every = 250 * time.Millisecond
	window := int(settleFor / every)
	var last []resident
	for {
		r, err := readResident(pid)
		if err != nil {
			return resident{}, err
		}
		last = append(last, r)
		if len(last) > window {
			last = last[1:]
			least := slices.MinFunc(last, func(a, b resident) int { return a.rss - b.rss })
			most := slices.MaxFunc(last, func(a, b resident) int { return a.rss - b.rss })
			if most.rss-least.rss <= most.rss/100 {
				return least, nil
			}
		}
		if time.Now().After(deadline) {
			return resident{}, fmt.Errorf("resident set still moving at the deadline: %v", last)
		}
		time.Sleep(every)
	}
}

// settleFor is how long the resident set must hold still.
const settleFor = 4 * time.Second

// readResident reads VmRSS and RssAnon from /proc/PID/status.
func readResident(pid int) (resident, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return resident{}, fmt.Errorf("read the resident set: %w", err)
	}
	var r resident
	found := 0
	for line := range strings.Lines(string(status)) {
		for _, f := range []struct {
			name string
			to   *int
		}{{"VmRSS:", &r.rss}, {"RssAnon:", &r.anon}} {
			rest, ok := strings.CutPrefix(line, f.name)
			if !ok {
				continue
			}
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				return resident{}, fmt.Errorf("%s %q: %w", f.name, strings.TrimSpace(rest), err)
			}
			*f.to = kb * 1024
			found++
		}
	}
	if found != 2 {
		return resident{}, fmt.Errorf("no VmRSS or RssAnon in /proc/%d/status", pid)
	}
	return r, nil
}

// clockTick is the unit of /proc's CPU times: USER_HZ, 100 on Linux.
const clockTick = 10 * time.Millisecond

// readCPU reads the user and system CPU time a process has taken from
// /proc/PID/stat (its 14th and 15th fields, counted in clock ticks).
func readCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read the CPU time: %w", err)
	}
	// The command's name, in parentheses, may hold spaces and
	// parentheses: count the fields after the last closing one, the
	// third field on.
	end := strings.LastIndexByte(string(stat), ')')
	fields := strings.Fields(string(stat)[end+1:])
	if end < 0 || len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, stat)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: CPU time %q: %w", pid, f, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// openPTY opens a pseudo-terminal of cols × rows: the master for this
// process, the slave for the program's terminal.
func openPTY(cols, rows uint16) (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fail := func(what string, errno syscall.Errno) (*os.File, *os.File, error) {
		master.Close()
		return nil, nil, fmt.Errorf("%s: %w", what, errno)
	}
	fd := master.Fd()
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		return fail("unlock the pseudo-terminal", e)
	}
	var num uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCGPTN, uintptr(unsafe.Pointer(&num))); e != 0 {
		return fail("number the pseudo-terminal", e)
	}
	size := struct{ rows, cols, x, y uint16 }{rows: rows, cols: cols}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&size))); e != 0 {
		return fail("size the pseudo-terminal", e)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", num), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
