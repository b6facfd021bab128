package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"ringside/providers/genesys"
	"ringside/providers/graph"
	"ringside/providers/natsboard/natsconn"
	"ringside/providers/textsafe"
)

// The configuration file: every flag can be given in it, by its name, at the
// top level or in a [profile.NAME] block that --profile selects. A flag given
// on the command line wins, then its RINGSIDE_* variable, then the profile,
// then the file's top level, then the flag's default.
//
// Kong's own order puts a resolver (such as a configuration file) above the
// environment, so the resolver here steps aside for any flag whose variable
// is set.

// maxConfigFile bounds the file: a configuration is a few hundred bytes; a
// larger file is the wrong file.
const maxConfigFile = 1 << 20

// configFlags are --config and --profile; cli embeds them.
type configFlags struct {
	Config  string `name:"config" placeholder:"FILE" help:"Read flags from FILE (TOML, keys are flag names; see the README). Default: config.toml in the user's configuration directory ($XDG_CONFIG_HOME/ringside/config.toml), when it exists. --config \"\" reads none."`
	Profile string `name:"profile" placeholder:"NAME" help:"Take the [profile.NAME] block of the configuration file over its top-level keys."`

	// source is the file as read, for ringside config check.
	source *configSource
}

// BeforeResolve reads the configuration file, once flags and environment
// are known and before kong fills the rest in from resolvers.
func (configFlags) BeforeResolve(ctx *kong.Context, src *configSource) error {
	return src.load(ctx)
}

// configSource is where the configuration comes from: the file named (or
// the default one), the profile chosen, what the command line set.
type configSource struct {
	defaultPath string // the user's config.toml; "" when there is no such directory
	path        string // the file read; "" when none
	profile     string
	file        *configFile
	model       *kong.Application
	onCommand   map[string]bool // flags given on the command line
}

func newConfigSource(configDir func() (string, error)) *configSource {
	s := &configSource{}
	if configDir != nil {
		if dir, err := configDir(); err == nil && dir != "" {
			s.defaultPath = filepath.Join(dir, "ringside", "config.toml")
		}
	}
	return s
}

// load finds the file and reads it into a resolver for kong. A file named by
// --config or RINGSIDE_CONFIG must exist; the default one may not.
func (s *configSource) load(ctx *kong.Context) error {
	s.model = ctx.Model
	s.onCommand = map[string]bool{}
	for _, p := range ctx.Path {
		if p.Flag != nil && !p.Resolved {
			s.onCommand[p.Flag.Name] = true
		}
	}
	cfgFlag, profFlag := rootFlag(ctx.Model, "config"), rootFlag(ctx.Model, "profile")
	path, _ := ctx.FlagValue(cfgFlag).(string)
	s.profile, _ = ctx.FlagValue(profFlag).(string)
	given := s.onCommand["config"] || envSet(cfgFlag)
	if !given {
		path = s.defaultPath
		if _, err := os.Stat(path); path == "" || errors.Is(err, os.ErrNotExist) {
			path = ""
		}
	}
	if path == "" {
		if s.profile != "" {
			return &configProblem{key: "--profile " + textsafe.Line(s.profile), msg: "there is no configuration file to take it from" + s.lookedAt(given)}
		}
		return nil
	}
	s.path = path
	// Kong opens the file (expanding ~ and ${vars} in its name) and hands
	// it to the loader, which knows the path and the profile from here.
	resolver, err := ctx.Kong.LoadConfig(path)
	if err != nil {
		var problems configErrors
		if errors.As(err, &problems) {
			return problems
		}
		return &configProblem{path: path, msg: plainOSError(err)}
	}
	ctx.AddResolver(resolver)
	return nil
}

// lookedAt says which file was missing, for the words of an error.
func (s *configSource) lookedAt(given bool) string {
	switch {
	case given:
		return " (--config \"\")"
	case s.defaultPath != "":
		return " (" + s.defaultPath + " does not exist)"
	}
	return ""
}

// loader is the kong.ConfigurationLoader: it parses the TOML and checks
// every key against the flags before any value is used.
func (s *configSource) loader(r io.Reader) (kong.Resolver, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigFile+1))
	if err != nil {
		return nil, &configProblem{path: s.path, msg: plainOSError(err)}
	}
	if len(data) > maxConfigFile {
		return nil, &configProblem{path: s.path, msg: fmt.Sprintf("larger than %d bytes; is it the right file?", maxConfigFile)}
	}
	f, err := parseConfig(s.path, data, s.profile, flagsByName(s.model))
	if err != nil {
		return nil, err
	}
	s.file = f
	return f, nil
}

func plainOSError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// envSet reports whether any of the flag's environment variables is set, as
// kong sees it (set to anything, even empty).
func envSet(f *kong.Flag) bool {
	for _, name := range f.Envs {
		if _, ok := os.LookupEnv(name); ok {
			return true
		}
	}
	return false
}

func rootFlag(app *kong.Application, name string) *kong.Flag {
	for _, f := range app.Flags {
		if f.Name == name {
			return f
		}
	}
	panic("no flag --" + name)
}

// flagsByName is every flag of every command, by name: a key of the file
// may be meant for any command (timeout is the one-shot commands').
func flagsByName(app *kong.Application) map[string][]*kong.Flag {
	flags := map[string][]*kong.Flag{}
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			flags[f.Name] = append(flags[f.Name], f)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(app.Node)
	return flags
}

// configValue is one key's value and where it was written.
type configValue struct {
	value any
	line  int
}

// configFile is a parsed, checked configuration file: kong's resolver for
// it.
type configFile struct {
	path     string
	profile  string                 // the profile chosen; "" for none
	top      map[string]configValue // the top-level keys
	chosen   map[string]configValue // the chosen profile's keys
	profiles map[string]int         // every profile, with the line it starts on
}

// skipped are flags the file never sets: the file itself, the profile, help.
var skipped = map[string]bool{"config": true, "profile": true, "help": true}

// Resolve gives kong the file's value for a flag, the profile's first. It
// gives none for a flag whose environment variable is set: the environment
// wins over the file (kong would let the file win).
func (f *configFile) Resolve(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
	if skipped[flag.Name] || envSet(flag) {
		return nil, nil
	}
	v, ok := f.chosen[flag.Name]
	if !ok {
		if v, ok = f.top[flag.Name]; !ok {
			return nil, nil
		}
	}
	// Checked against every flag of that name when the file was read; a
	// name several commands share may still suit only some of them.
	if err := checkValue(flag, v.value); err != nil {
		return nil, &configProblem{path: f.path, line: v.line, key: flag.Name, msg: err.Error()}
	}
	return v.value, nil
}

// Validate is part of kong.Resolver; the file was checked when read.
func (f *configFile) Validate(*kong.Application) error { return nil }

// source says where flag's value comes from when neither the command line
// nor the environment gives it: "profile NAME (line N)", "file PATH (line N)",
// or "" for neither.
func (f *configFile) source(name string) (configValue, string) {
	if f == nil {
		return configValue{}, ""
	}
	if v, ok := f.chosen[name]; ok {
		return v, "profile " + f.profile + " (line " + strconv.Itoa(v.line) + ")"
	}
	if v, ok := f.top[name]; ok {
		return v, "file " + f.path + " (line " + strconv.Itoa(v.line) + ")"
	}
	return configValue{}, ""
}

// configProblem is one thing wrong with a configuration, where it is.
type configProblem struct {
	path string
	line int    // 0: the file as a whole
	key  string // "" when no key is concerned
	msg  string
}

func (p *configProblem) Error() string {
	var b strings.Builder
	if p.path != "" {
		b.WriteString(p.path)
		if p.line > 0 {
			b.WriteString(":" + strconv.Itoa(p.line))
		}
		b.WriteString(": ")
	}
	if p.key != "" {
		b.WriteString(p.key + ": ")
	}
	b.WriteString(p.msg)
	return b.String()
}

// configErrors is every problem found in a file, in the order of its lines:
// one reading names them all.
type configErrors []*configProblem

func (e configErrors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// reportConfigError writes a configuration's problems to stderr, one a line,
// and reports whether err was one.
func reportConfigError(e env, err error) bool {
	var many configErrors
	var one *configProblem
	switch {
	case errors.As(err, &many):
		for _, p := range many {
			fmt.Fprintf(e.stderr, "ringside: %v\n", p)
		}
	case errors.As(err, &one):
		fmt.Fprintf(e.stderr, "ringside: %v\n", one)
	default:
		return false
	}
	return true
}

// profileName is what a profile may be called.
var profileName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// parseConfig reads a configuration file and checks all of it: syntax, keys,
// types and values, secrets, the profile asked for. Every problem is named
// with its line and key, all of them in the order of the lines.
func parseConfig(path string, data []byte, profile string, flags map[string][]*kong.Flag) (*configFile, error) {
	doc, err := decodeTOML(path, data)
	if err != nil {
		return nil, err
	}
	p := &configParser{path: path, flags: flags, lines: keyLines(data)}
	f := &configFile{path: path, profile: profile, top: map[string]configValue{}, chosen: map[string]configValue{}, profiles: map[string]int{}}
	profiles, hasProfiles := doc["profile"]
	delete(doc, "profile")
	p.keys(doc, nil, f.top)
	if hasProfiles {
		p.profiles(profiles, f)
	}
	if profile != "" && len(p.problems) == 0 {
		if _, ok := f.profiles[profile]; !ok {
			p.bad(0, "--profile "+textsafe.Line(profile), "no such profile in the file; %s", f.knownProfiles())
		}
	}
	if len(p.problems) > 0 {
		slices.SortStableFunc(p.problems, func(a, b *configProblem) int {
			if a.line != b.line {
				return a.line - b.line
			}
			return strings.Compare(a.key, b.key)
		})
		return nil, p.problems
	}
	return f, nil
}

// decodeTOML parses the file; a syntax error is named with its line and,
// where it can be seen, the key of that line.
func decodeTOML(path string, data []byte) (map[string]any, error) {
	var doc map[string]any
	err := toml.Unmarshal(data, &doc)
	if err == nil {
		return doc, nil
	}
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return nil, configErrors{{path: path, msg: err.Error()}}
	}
	line, _ := de.Position()
	key := strings.Join(de.Key(), ".")
	if key == "" {
		key = keyOnLine(data, line)
	}
	return nil, configErrors{{path: path, line: line, key: key, msg: strings.TrimPrefix(de.Error(), "toml: ")}}
}

// configParser checks a decoded file against the flags, gathering problems.
type configParser struct {
	path     string
	flags    map[string][]*kong.Flag
	lines    map[string]int // keyLines
	problems configErrors
}

func (p *configParser) bad(line int, key, format string, args ...any) {
	p.problems = append(p.problems, &configProblem{path: p.path, line: line, key: key, msg: fmt.Sprintf(format, args...)})
}

// keys checks one table of flag names (the top level, or a profile under
// prefix) and files the good ones into into.
func (p *configParser) keys(table map[string]any, prefix []string, into map[string]configValue) {
	for key, v := range table {
		at := append(slices.Clone(prefix), key)
		line := p.lines[strings.Join(at, "\x00")]
		if err := checkKey(key, v, p.flags); err != nil {
			p.bad(line, strings.Join(at, "."), "%v", err)
			continue
		}
		into[key] = configValue{value: v, line: line}
	}
}

// profiles checks the [profile.NAME] blocks and keeps the chosen one's keys.
func (p *configParser) profiles(v any, f *configFile) {
	table, ok := v.(map[string]any)
	if !ok {
		p.bad(p.lines["profile"], "profile", "want [profile.NAME] blocks of flags, chosen with --profile NAME or RINGSIDE_PROFILE")
		return
	}
	for name, b := range table {
		line := p.lines["profile\x00"+name]
		block, ok := b.(map[string]any)
		switch {
		case !profileName.MatchString(name):
			p.bad(line, "profile."+name, "a profile's name is 1 to 64 letters, digits, '-' and '_'")
			continue
		case !ok:
			p.bad(line, "profile."+name, "want a block of flags ([profile.%s] and the keys below it), not %s", name, tomlType(b))
			continue
		}
		f.profiles[name] = line
		into := map[string]configValue{}
		p.keys(block, []string{"profile", name}, into)
		if name == f.profile {
			f.chosen = into
		}
	}
}

// knownProfiles lists the file's profiles with their lines.
func (f *configFile) knownProfiles() string {
	if len(f.profiles) == 0 {
		return "it has none ([profile.NAME] blocks)"
	}
	names := make([]string, 0, len(f.profiles))
	for n := range f.profiles {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return f.profiles[a] - f.profiles[b] })
	for i, n := range names {
		names[i] = n + " (line " + strconv.Itoa(f.profiles[n]) + ")"
	}
	return "it has " + strings.Join(names, ", ")
}

// checkKey checks one key of the file and its value: a flag's name, not a
// secret's, not a command-line-only flag's, with a value that flag takes.
func checkKey(key string, v any, flags map[string][]*kong.Flag) error {
	if advice, ok := secretKey(key, flags); ok {
		return errors.New("secrets never go in the configuration file: " + advice)
	}
	switch key {
	case "config":
		return errors.New("a configuration file cannot name another; give --config on the command line or in RINGSIDE_CONFIG")
	case "profile", "help":
		return fmt.Errorf("not a flag the file can set")
	}
	fs := flags[key]
	if len(fs) == 0 {
		msg := "unknown key; keys are the flags' names without the dashes (ringside --help lists them)"
		if s := closest(key, flags); s != "" {
			msg = "unknown key; did you mean " + s + "?"
		}
		return errors.New(msg)
	}
	if len(fs[0].Envs) == 0 {
		return errors.New("command line only: it is never taken from the environment or a file")
	}
	if err := passwordInURL(v); err != nil {
		return err
	}
	var first error
	for _, f := range fs {
		err := checkValue(f, v)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// secretKey reports whether key names a secret, and what to use instead.
func secretKey(key string, flags map[string][]*kong.Flag) (string, bool) {
	known := map[string]string{
		"graph-client-secret": "put it in a file only you can read and name it with graph-client-secret-file, or set " + graph.SecretEnv,
		"genesys-password":    "put it in a file only you can read and name it with genesys-password-file, or set " + genesys.PasswordEnv,
		"nats-password":       "put it in a file only you can read and name it with nats-password-file, or set " + natsconn.PasswordEnv,
	}
	if advice, ok := known[key]; ok {
		return advice, true
	}
	secret := false
	for _, word := range []string{"secret", "password", "passphrase", "token", "passwd"} {
		if key == word || strings.HasSuffix(key, "-"+word) || strings.HasPrefix(key, word+"-") && !strings.HasSuffix(key, "-file") {
			secret = true
		}
	}
	if !secret {
		return "", false
	}
	if len(flags[key+"-file"]) > 0 {
		return "put it in a file only you can read and name it with " + key + "-file", true
	}
	return "give it in a file of its own (a *-file flag) or in the environment", true
}

// passwordInURL refuses a URL that carries a password (nats://user:pw@host).
func passwordInURL(v any) error {
	var texts []string
	switch v := v.(type) {
	case string:
		texts = strings.Split(v, ",")
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				texts = append(texts, strings.Split(s, ",")...)
			}
		}
	}
	for _, t := range texts {
		if u, err := url.Parse(strings.TrimSpace(t)); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				return errors.New("secrets never go in the configuration file: the URL carries a password; use the user and the password's own flag or variable (for NATS: nats-user and nats-password-file or " + natsconn.PasswordEnv + ")")
			}
		}
	}
	return nil
}

var durationType = reflect.TypeOf(time.Duration(0))

// checkValue checks that flag takes v as the file gives it: the TOML type
// first (a duration in quotes, a number unquoted), then the flag's own
// parsing and its allowed words.
func checkValue(f *kong.Flag, v any) error {
	if err := checkType(f.Target.Type(), v); err != nil {
		return err
	}
	_, err := decodeValue(f, v)
	return err
}

// decodeValue parses v as the flag would (kong's mapper: a path's ~ is
// expanded, a list split), into a scratch value, and checks it against the
// flag's allowed words.
func decodeValue(f *kong.Flag, v any) (reflect.Value, error) {
	target := reflect.New(f.Target.Type()).Elem()
	scan := kong.Scan().PushTyped(v, kong.FlagValueToken)
	if err := f.Mapper.Decode(&kong.DecodeContext{Value: f.Value, Scan: scan}, target); err != nil {
		return target, err
	}
	if f.Enum == "" {
		return target, nil
	}
	allowed := f.EnumMap()
	var words []string
	switch target.Kind() {
	case reflect.String:
		words = []string{target.String()}
	case reflect.Slice:
		for i := range target.Len() {
			words = append(words, fmt.Sprint(target.Index(i).Interface()))
		}
	}
	for _, w := range words {
		if !allowed[w] {
			return target, fmt.Errorf("%q is not one of %s", textsafe.Cut(textsafe.Line(w), 40), strings.Join(f.EnumSlice(), ", "))
		}
	}
	return target, nil
}

// checkType compares a TOML value's type with what a flag of type t takes.
func checkType(t reflect.Type, v any) error {
	kind := t.Kind()
	ok := false
	want := ""
	switch {
	case t == durationType:
		_, ok = v.(string)
		want = `a duration in quotes, such as "15s" or "2m"`
	case kind == reflect.Bool:
		_, ok = v.(bool)
		want = "true or false"
	case kind >= reflect.Int && kind <= reflect.Uint64:
		_, ok = v.(int64)
		want = "a whole number"
	case kind == reflect.Float32 || kind == reflect.Float64:
		switch v.(type) {
		case int64, float64:
			ok = true
		}
		want = "a number"
	case kind == reflect.Slice:
		switch v := v.(type) {
		case string:
			ok = true
		case []any:
			for i, e := range v {
				if err := checkType(t.Elem(), e); err != nil {
					return fmt.Errorf("item %d of the list: %w", i+1, err)
				}
			}
			ok = true
		}
		want = `a list, such as ["a", "b"]`
	default:
		_, ok = v.(string)
		want = "text in quotes"
	}
	if !ok {
		return fmt.Errorf("want %s, not %s", want, tomlType(v))
	}
	return nil
}

// tomlType names a decoded TOML value's type as the file spells it.
func tomlType(v any) string {
	switch v := v.(type) {
	case string:
		return "text (" + strconv.Quote(textsafe.Cut(textsafe.Line(v), 40)) + ")"
	case bool:
		return "true or false"
	case int64:
		return "a number (" + strconv.FormatInt(v, 10) + ")"
	case float64:
		return "a number (" + strconv.FormatFloat(v, 'g', -1, 64) + ")"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// closest is the flag name nearest key, when one is near enough to be a typo.
func closest(key string, flags map[string][]*kong.Flag) string {
	best, bestD := "", 3
	for name := range flags {
		if skipped[name] {
			continue
		}
		if d := editDistance(key, name); d < bestD || d == bestD && best != "" && name < best {
			best, bestD = name, d
		}
	}
	if bestD > 2 || bestD*3 > len(key) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes: flag
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// bareKey is a key as a line of TOML may begin with it.
var bareKey = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// keyOnLine is the key a line of the file sets, when the parser stopped
// before it could say (an unclosed string); "" when there is none to see.
func keyOnLine(data []byte, line int) string {
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	key, _, ok := strings.Cut(lines[line-1], "=")
	if key = strings.TrimSpace(key); !ok || !bareKey.MatchString(key) {
		return ""
	}
	return key
}

// keyLines maps each key of a TOML document (its path joined with NUL) to the
// line it is first written on, tables and inline tables included.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	note := func(path []string, line int) {
		for i := 1; i <= len(path); i++ {
			k := strings.Join(path[:i], "\x00")
			if _, ok := lines[k]; !ok {
				lines[k] = line
			}
		}
	}
	var keyValue func(n *unstable.Node, prefix []string)
	keyValue = func(n *unstable.Node, prefix []string) {
		path, line := keyOf(&p, n.Key())
		path = append(slices.Clone(prefix), path...)
		note(path, line)
		if v := n.Value(); v.Kind == unstable.InlineTable {
			it := v.Children()
			for it.Next() {
				keyValue(it.Node(), path)
			}
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			path, line := keyOf(&p, e.Key())
			table = path
			note(path, line)
		case unstable.KeyValue:
			keyValue(e, table)
		}
	}
	return lines
}

// keyOf is a (dotted) key's parts and its line.
func keyOf(p *unstable.Parser, it unstable.Iterator) ([]string, int) {
	var parts []string
	line := 0
	for it.Next() {
		n := it.Node()
		parts = append(parts, string(n.Data))
		if line == 0 {
			line = p.Shape(n.Raw).Start.Line
		}
	}
	return parts, line
}

// formatValue shows a value of the file as the command line would spell it.
func formatValue(v any) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = formatValue(e)
		}
		return strings.Join(parts, ",")
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
