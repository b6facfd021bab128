package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ringside/providers/graph/graphtest"
)

var (
	roundCalls = flag.Int("round-calls", 500, "calls per round of BenchmarkWebhookOutOfProcess (three notifications each)")
	roundConns = flag.Int("round-conns", 8, "connections the generator posts from in BenchmarkWebhookOutOfProcess")
	// Profiles of ringside itself, the process under load: build it with
	// the ringside_profile tag (profile_tagged.go) and collect its CPU
	// profile and allocations when the rounds are over.
	roundProfile = flag.String("round-profile", "", "write ringside's CPU profile over the run to this file (allocations to FILE.allocs, the baseline's CPU profile to FILE.bare)")
)

// BenchmarkWebhookOutOfProcess measures the Graph webhook end to end, each
// side a process of its own: this command, as a separate load generator,
// posts signed notifications to `ringside --json --provider graph` (built
// here, token check on against graphtest's keys, graphtest as Graph's API,
// token and OpenID endpoints, the stream written to a file) and, in
// alternating rounds, to this command's bare net/http baseline. Each b.N is
// one round of -round-calls calls on each side. A round on ringside lasts
// until every line of its calls is in the stream file, not only until the
// last 202. It reports both rates and their ratio, per round in the log and
// over all rounds as metrics, then stops ringside and checks that each call
// posted to it is in the stream, ringing, active and ended, once each.
//
//	go test -run '^$' -bench WebhookOutOfProcess -benchtime 5x ./providers/graph/graphtest/cmd/webhookload/
//
// -args -round-calls N -round-conns C change a round; -args -round-profile
// FILE profiles ringside (go tool pprof -top FILE).
func BenchmarkWebhookOutOfProcess(b *testing.B) {
	dir := b.TempDir()
	ringsideBin, loadBin := build(b, dir)
	fake := graphtest.Start(b, graphtest.Options{})
	authFile := filepath.Join(dir, "authorization")
	token := "Bearer " + fake.Signer.MustSign(graphtest.Claims(fake.Options.ClientID, time.Now()))
	if err := os.WriteFile(authFile, []byte(token), 0o600); err != nil {
		b.Fatal(err)
	}
	bare := startBare(b, loadBin, *roundProfile)
	ring := startRingside(b, ringsideBin, fake, dir)

	// Calls 0 to first-1 went to ringside; the baseline gets the same ids.
	var first uint64
	var acked time.Duration // until the last 202 of each round on ringside
	var cpu struct{ bare, ring, loadBare, loadRing time.Duration }
	onRingside := func(calls int) time.Duration {
		before := ring.cpu()
		g := generate(b, loadBin, ring.url, authFile, first, calls)
		rep := g.report(b)
		first += uint64(calls)
		// The stream is watched from the moment the generator reports,
		// while its process exits: that takes a millisecond or two,
		// which must not count against ringside.
		done := ring.stream.waitEnded(b, ring.child, int(first))
		cpu.ring += ring.cpu() - before
		cpu.loadRing += g.cpu(b)
		acked += time.Duration(rep.End - rep.Start)
		return time.Duration(max(rep.End, done.UnixNano()) - rep.Start)
	}
	onBare := func(calls int) time.Duration {
		before := bare.cpu()
		g := generate(b, loadBin, bare.url, authFile, first, calls)
		rep := g.report(b)
		cpu.loadBare += g.cpu(b)
		cpu.bare += bare.cpu() - before
		return time.Duration(rep.End - rep.Start)
	}

	// Warm both: connections, pools, the token cache, the page cache.
	onBare(*roundCalls / 4)
	onRingside(*roundCalls / 4)

	var bareTime, ringTime time.Duration
	acked, cpu.bare, cpu.ring, cpu.loadBare, cpu.loadRing = 0, 0, 0, 0, 0
	ratios := make([]float64, 0, b.N)
	notes := 3 * float64(*roundCalls)
	b.ResetTimer()
	for round := range b.N {
		var bt, rt time.Duration
		if round%2 == 0 {
			bt, rt = onBare(*roundCalls), onRingside(*roundCalls)
		} else {
			rt, bt = onRingside(*roundCalls), onBare(*roundCalls)
		}
		bareTime, ringTime = bareTime+bt, ringTime+rt
		ratios = append(ratios, bt.Seconds()/rt.Seconds())
	}
	b.StopTimer()
	// Each round's ratio, ringside's rate (every line in the stream) over
	// the baseline's, in one line: the log keeps only so many.
	var each strings.Builder
	for _, r := range ratios {
		fmt.Fprintf(&each, " %.2f", r)
	}
	b.Logf("ratio per round:%s", each.String())
	total := notes * float64(b.N)
	b.ReportMetric(total/bareTime.Seconds(), "bare-notifications/s")
	b.ReportMetric(total/ringTime.Seconds(), "ringside-notifications/s")
	b.ReportMetric(bareTime.Seconds()/ringTime.Seconds(), "ratio")
	b.ReportMetric(slices.Min(ratios), "min-ratio")
	// Other work on the machine comes and goes: the median round is the
	// figure it sways least.
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
	// The same ratio had the rounds on ringside ended with their last 202,
	// before the stream caught up: how much the stream's tail costs.
	b.ReportMetric(bareTime.Seconds()/acked.Seconds(), "ratio-202")
	// Where the two cores went, per notification: each server's CPU time
	// (where the system tells it) and the generator's on each side. Less
	// swayed by other work on the machine than the rates.
	perNote := func(d time.Duration) float64 { return float64(d.Microseconds()) / total }
	if cpu.bare > 0 && cpu.ring > 0 {
		b.ReportMetric(perNote(cpu.bare), "bare-cpu-µs/notification")
		b.ReportMetric(perNote(cpu.ring), "ringside-cpu-µs/notification")
	}
	b.ReportMetric(perNote(cpu.loadBare), "load-cpu-µs/bare-notification")
	b.ReportMetric(perNote(cpu.loadRing), "load-cpu-µs/ringside-notification")

	if *roundProfile != "" {
		ring.profile(b, *roundProfile)
		bare.stop(b) // which writes its profile
		b.Logf("the baseline's profile: %s.bare", *roundProfile)
	}
	ring.stop(b)
	checkStream(b, ring.stream.path, first)
}

// build compiles ringside and this command into dir.
func build(b *testing.B, dir string) (ringside, load string) {
	b.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	ringside, load = filepath.Join(dir, "bin", "ringside"), filepath.Join(dir, "bin", "webhookload")
	tags := ""
	if *roundProfile != "" {
		tags = "ringside_profile"
	}
	for _, pkg := range []struct{ out, path, tags string }{
		{ringside, "ringside", tags},
		{load, "ringside/providers/graph/graphtest/cmd/webhookload", ""},
	} {
		cmd := exec.Command(goBin, "build", "-tags", pkg.tags, "-o", pkg.out, pkg.path)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg.path, err, out)
		}
	}
	return ringside, load
}

// startBare runs the baseline server; it is stopped when the benchmark ends.
func startBare(b *testing.B, bin, profile string) *server {
	b.Helper()
	args := []string{"-serve-bare", "127.0.0.1:0"}
	if profile != "" {
		args = append(args, "-cpuprofile", profile+".bare")
	}
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	c := start(b, cmd)
	url, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("the baseline did not say where it listens: %v\n%s", err, c.stderr.Bytes())
	}
	return &server{child: c, url: strings.TrimSpace(url)}
}

// server is a webhook in a process of its own.
type server struct {
	*child
	url string
}

// generate starts the load generator for one run.
func generate(b *testing.B, bin, url, authFile string, first uint64, calls int) *genRun {
	b.Helper()
	cmd := exec.Command(bin, "-url", url, "-auth-file", authFile,
		"-first", fmt.Sprint(first), "-calls", fmt.Sprint(calls), "-conns", fmt.Sprint(*roundConns))
	r := &genRun{cmd: cmd, url: url}
	cmd.Stderr = &r.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r.out = bufio.NewReader(out)
	return r
}

// genRun is one run of the load generator.
type genRun struct {
	cmd    *exec.Cmd
	url    string
	out    *bufio.Reader
	stderr bytes.Buffer
	rep    Report
}

// report waits for the generator's report, the line it prints when the
// last answer is in; a run with any error fails the benchmark.
func (r *genRun) report(b *testing.B) Report {
	b.Helper()
	line, err := r.out.ReadBytes('\n')
	if jerr := json.Unmarshal(line, &r.rep); jerr != nil {
		werr := r.cmd.Wait()
		b.Fatalf("generator against %s: no report (%v, %v): %v\n%s", r.url, jerr, err, werr, r.stderr.Bytes())
	}
	if r.rep.Errors > 0 {
		werr := r.cmd.Wait()
		b.Fatalf("generator against %s: %v: %+v\n%s", r.url, werr, r.rep, r.stderr.Bytes())
	}
	return r.rep
}

// cpu waits for the generator to exit, wants exit 0, and returns the CPU
// time it used.
func (r *genRun) cpu(b *testing.B) time.Duration {
	b.Helper()
	if err := r.cmd.Wait(); err != nil {
		b.Fatalf("generator against %s: %v: %+v\n%s", r.url, err, r.rep, r.stderr.Bytes())
	}
	return r.cmd.ProcessState.UserTime() + r.cmd.ProcessState.SystemTime()
}

// ringsideProc is `ringside --json --provider graph` running against the
// fake, its stream going to a file.
type ringsideProc struct {
	server
	stream *streamFile
}

func startRingside(b *testing.B, bin string, fake *graphtest.Server, dir string) *ringsideProc {
	b.Helper()
	path := filepath.Join(dir, "stream.jsonl")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close() // the child has its own descriptor
	cmd := exec.Command(bin, "--json", "--provider", "graph",
		"--graph-listen", "127.0.0.1:0", "--graph-client-id", fake.Options.ClientID,
		"--graph-tenant", fake.Options.Tenant, "--graph-api-base", fake.APIBase,
		"--graph-token-url", fake.Base+"/{tenant}/oauth2/v2.0/token",
		"--graph-openid-config", fake.OpenIDConfig)
	// A home of its own, so no configuration file of the machine's applies.
	home := filepath.Join(dir, "home")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"RINGSIDE_GRAPH_CLIENT_SECRET="+fake.Options.ClientSecret)
	if *roundProfile != "" {
		// What an earlier run left would pass for this run's profile.
		for _, p := range []string{*roundProfile, *roundProfile + ".allocs"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				b.Fatal(err)
			}
		}
		cmd.Env = append(cmd.Env, "RINGSIDE_CPUPROFILE="+*roundProfile)
	}
	cmd.Stdout = out
	r := &ringsideProc{server: server{child: start(b, cmd)}, stream: &streamFile{path: path}}
	r.url = "http://" + r.stream.waitLive(b, r.child) + "/api/calls"
	return r
}

// profile has ringside write its profiles to path and path.allocs
// (profile_tagged.go) and waits until both are complete.
func (r *ringsideProc) profile(b *testing.B, path string) {
	b.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for _, p := range []string{path, path + ".allocs"} {
		for {
			if _, err := os.Stat(p); err == nil {
				break
			}
			if r.exited() || time.Now().After(deadline) {
				b.Fatalf("ringside wrote no profile %s:\n%s", p, r.stderr.Bytes())
			}
			time.Sleep(poll)
		}
	}
	b.Logf("ringside's profiles: %s, %s.allocs", path, path)
}

// child is a process the benchmark started; it is stopped when the
// benchmark ends, if it still runs.
type child struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{} // closed once it has ended
	err    error         // how it ended, once done
}

func start(b *testing.B, cmd *exec.Cmd) *child {
	b.Helper()
	c := &child{cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = &c.stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	b.Cleanup(func() {
		if !c.exited() {
			c.terminate(b)
		}
	})
	return c
}

// cpu is the CPU time the child has used so far, user and system, as
// Linux's /proc tells it (in clock ticks of 10 ms); 0 where there is no
// /proc.
func (c *child) cpu() time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The command's name, in parentheses, may hold spaces: the fields
	// counted here come after its closing one.
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0
	}
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 13 {
		return 0
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime and stime, fields 14 and 15
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// exited reports whether the child has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// terminate ends the child as an operator would (SIGTERM) and returns how
// it ended; one that does not stop within 10 s is killed.
func (c *child) terminate(b *testing.B) error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		b.Errorf("%s did not stop on SIGTERM; killed", c.cmd.Path)
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	return c.err
}

// stop ends the child and wants exit 0.
func (c *child) stop(b *testing.B) {
	b.Helper()
	if err := c.terminate(b); err != nil {
		b.Fatalf("%s: %v\n%s", c.cmd.Path, err, c.stderr.Bytes())
	}
}

// streamFile follows ringside's stream file as it grows, counting the
// calls that ended.
type streamFile struct {
	path  string
	f     *os.File
	rest  []byte // a line not yet complete
	ended int
	lines [][]byte // complete lines, kept only until ringside is live
}

// poll is how often the stream file is read again while waiting.
const poll = 200 * time.Microsecond

// read takes in what was written since the last read.
func (s *streamFile) read(b *testing.B, keep bool) {
	if s.f == nil {
		f, err := os.Open(s.path)
		if err != nil {
			b.Fatal(err)
		}
		s.f = f
		b.Cleanup(func() { f.Close() })
	}
	chunk := make([]byte, 256<<10)
	for {
		n, err := s.f.Read(chunk)
		s.rest = append(s.rest, chunk[:n]...)
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	end := bytes.LastIndexByte(s.rest, '\n')
	if end < 0 {
		return
	}
	whole := s.rest[:end+1]
	s.ended += bytes.Count(whole, []byte(`"state":"ended"`))
	if keep {
		for line := range bytes.Lines(whole) {
			s.lines = append(s.lines, bytes.Clone(line))
		}
	}
	s.rest = append(s.rest[:0], s.rest[end+1:]...)
}

// waitLive waits for ringside's status line saying the webhook is live and
// returns the address it listens on.
func (s *streamFile) waitLive(b *testing.B, r *child) string {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		s.read(b, true)
		for _, line := range s.lines {
			var st struct{ Type, Status, Detail string }
			if json.Unmarshal(line, &st) == nil && st.Type == "status" {
				switch st.Status {
				case "live":
					s.lines = nil
					return st.Detail
				case "failed":
					b.Fatalf("ringside failed: %s\n%s", st.Detail, r.stderr.Bytes())
				}
			}
		}
		if r.exited() {
			b.Fatalf("ringside ended before its webhook was live:\n%s", r.stderr.Bytes())
		}
		time.Sleep(poll)
	}
	b.Fatalf("ringside's webhook was not live within a minute:\n%s", r.stderr.Bytes())
	return ""
}

// waitEnded waits until the stream holds the end of calls calls and says
// when it saw them.
func (s *streamFile) waitEnded(b *testing.B, r *child, calls int) time.Time {
	deadline := time.Now().Add(time.Minute)
	for {
		s.read(b, false)
		if s.ended >= calls {
			return time.Now()
		}
		if r.exited() || time.Now().After(deadline) {
			b.Fatalf("the stream holds the end of %d calls, want %d:\n%s", s.ended, calls, r.stderr.Bytes())
		}
		time.Sleep(poll)
	}
}

// checkStream reads the whole stream and checks that each of the calls
// posted to ringside (indices 0 to calls-1) is in it exactly as posted:
// ringing, active, ended, one line each, versions growing, and that it holds
// no other call.
func checkStream(b *testing.B, path string, calls uint64) {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	states := make(map[string][]string, calls)
	versions := make(map[string]uint64, calls)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Type string
			Call *struct {
				ID, State string
				Version   uint64
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			b.Fatalf("a line of the stream is not JSON: %v: %s", err, sc.Bytes())
		}
		if line.Type != "call" {
			continue
		}
		id := line.Call.ID
		if line.Call.Version <= versions[id] {
			b.Errorf("call %s: version %d after %d", id, line.Call.Version, versions[id])
		}
		versions[id] = line.Call.Version
		states[id] = append(states[id], line.Call.State)
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	want := []string{"ringing", "active", "ended"}
	bad := 0
	for i := range calls {
		id := CallID(i)
		if got := states[id]; !slices.Equal(got, want) && bad < 5 {
			b.Errorf("call %s: the stream has %v, want %v", id, got, want)
			bad++
		}
		delete(states, id)
	}
	if len(states) > 0 {
		b.Errorf("the stream has %d calls nobody posted", len(states))
	}
	if bad == 0 && len(states) == 0 {
		b.Logf("the stream holds each of the %d calls posted, ringing, active and ended", calls)
	}
}
