package genesys

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"ringside/providers"
	"ringside/providers/secretfile"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestConfigValid(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		cfg        Config
		vars       map[string]string
		base       string
		cometd     string
		password   string
		warning    bool
		passwordOK bool
	}{
		{
			name: "https with password from the environment",
			cfg:  Config{URL: "https://gws.example.com/", User: "ksippo"},
			vars: map[string]string{PasswordEnv: "from-env"},
			base: "https://gws.example.com", cometd: "https://gws.example.com/api/v2/notifications", password: "from-env",
		},
		{
			name: "the file wins over the environment, trailing newline dropped",
			cfg:  Config{URL: "https://gws.example.com/gws", User: "ksippo", PasswordFile: pwFile},
			vars: map[string]string{PasswordEnv: "from-env"},
			base: "https://gws.example.com/gws", cometd: "https://gws.example.com/gws/api/v2/notifications", password: "from-file",
		},
		{
			name: "CometD elsewhere; plain http on loopback is fine",
			cfg:  Config{URL: "http://127.0.0.1:8090", User: "u", CometdURL: "http://127.0.0.1:9000/cometd"},
			base: "http://127.0.0.1:8090", cometd: "http://127.0.0.1:9000/cometd",
		},
		{
			name: "localhost and IPv6 loopback are loopback too",
			cfg:  Config{URL: "http://localhost:8090", User: "u", CometdURL: "http://[::1]:9000/cometd"},
			base: "http://localhost:8090", cometd: "http://[::1]:9000/cometd",
		},
		{
			name: "CometD over plain http elsewhere is allowed with the flag, with a standing warning",
			cfg:  Config{URL: "https://gws.example.com", User: "u", CometdURL: "http://cometd.internal/cometd", InsecureHTTP: true},
			base: "https://gws.example.com", cometd: "http://cometd.internal/cometd", warning: true,
		},
		{
			name: "plain http elsewhere is allowed with --genesys-insecure-http, with a standing warning",
			cfg:  Config{URL: "http://gws.internal:8080", User: "u", Login: true, Place: "SIP_Server_Place1", InsecureHTTP: true},
			vars: map[string]string{PasswordEnv: "x"},
			base: "http://gws.internal:8080", cometd: "http://gws.internal:8080/api/v2/notifications", password: "x", warning: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.cfg.resolve(env(tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			if s.base.String() != tt.base || s.cometd.String() != tt.cometd || s.password != tt.password {
				t.Errorf("base %s cometd %s password %q", s.base, s.cometd, s.password)
			}
			if (s.warning != "") != tt.warning {
				t.Errorf("warning %q", s.warning)
			}
		})
	}
}

func TestConfigErrorsNameTheFlag(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte(strings.Repeat("x", secretfile.MaxSize+1)), 0o600)
	loose := filepath.Join(dir, "loose")
	os.WriteFile(loose, []byte("pw"), 0o600)
	os.Chmod(loose, 0o644)
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{User: "u"}, "--genesys-url is required"},
		{Config{URL: "gws.example.com", User: "u"}, "--genesys-url"},
		{Config{URL: "ftp://gws.example.com", User: "u"}, "https://"},
		{Config{URL: "https://", User: "u"}, "no host"},
		{Config{URL: "https://gws.example.com?x=1", User: "u"}, "query"},
		{Config{URL: "https://ksippo:hunter2@gws.example.com", User: "u"}, "must not carry credentials"},
		{Config{URL: "ftp://ksippo:hunter2@gws.example.com", User: "u"}, "must not carry credentials"},
		{Config{URL: "ksippo:hunter2@gws.example.com", User: "u"}, "https://"},
		{Config{URL: "https://ksippo:hunter2@gws.example.com:port", User: "u"}, "--genesys-url"},
		{Config{URL: "https://ksippo:hunter2@gws.example.com?x=1", User: "u"}, "must not carry credentials"},
		{Config{URL: "https://gws.example.com"}, "--genesys-user is required"},
		{Config{URL: "https://gws.example.com", User: "a:b"}, "':'"},
		{Config{URL: "https://gws.example.com", User: "u", Place: "P"}, "--genesys-place only applies with --genesys-login"},
		{Config{URL: "https://gws.example.com", User: "u", CometdURL: "ws://x"}, "--genesys-cometd-url"},
		{Config{URL: "https://gws.example.com", User: "u", PasswordFile: filepath.Join(dir, "missing")}, "--genesys-password-file"},
		{Config{URL: "https://gws.example.com", User: "u", PasswordFile: empty}, "is empty"},
		{Config{URL: "https://gws.example.com", User: "u", PasswordFile: big}, "larger than"},
		{Config{URL: "https://gws.example.com", User: "u", PasswordFile: loose}, "readable by group or others"},
		{Config{URL: "http://gws.internal:8080", User: "u"}, "--genesys-url: plain http:// to gws.internal:8080 would send the GWS password unencrypted"},
		{Config{URL: "http://10.0.0.7", User: "u"}, "--genesys-insecure-http"},
		{Config{URL: "https://gws.example.com", User: "u", CometdURL: "http://cometd.internal/cometd"}, "--genesys-cometd-url: plain http:// to cometd.internal"},
		{Config{URL: "http://127.0.0.1.example.com", User: "u"}, "--genesys-insecure-http"},
		{Config{URL: "https://gws.example.com", User: "u", NameKeys: []string{"A{number}B{number}"}}, "--genesys-name-keys"},
		{Config{URL: "https://gws.example.com", User: "u", NameKeys: []string{strings.Repeat("K", maxNameKeyLen+1)}}, "--genesys-name-keys"},
		{Config{URL: "https://gws.example.com", User: "u", NameKeys: []string{"bad\x1bkey"}}, "--genesys-name-keys"},
		{Config{URL: "https://gws.example.com", User: "u", NameKeys: slices.Repeat([]string{"K"}, maxNameKeys+1)}, "--genesys-name-keys: at most"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg, providers.Options{Getenv: env(nil)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want it to mention %q", tt.cfg, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("a password leaked into an error: %v", err)
		}
	}
}

// TestConfigTags checks the flag names the program derives its flags and
// environment variables from.
func TestConfigTags(t *testing.T) {
	want := []string{"genesys-url", "genesys-user", "genesys-password-file", "genesys-login", "genesys-place", "genesys-cometd-url",
		"genesys-insecure-http", "genesys-name-keys"}
	var got []string
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		got = append(got, f.Tag.Get("name"))
		if f.Tag.Get("help") == "" {
			t.Errorf("%s has no help", f.Name)
		}
		if strings.Contains(strings.ToLower(f.Tag.Get("name")), "password") && f.Type.Kind() == reflect.String && !strings.HasSuffix(f.Tag.Get("name"), "-file") {
			t.Errorf("a password must never be a flag: %s", f.Name)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("flags %v, want %v", got, want)
	}
}

func TestNameAndReasons(t *testing.T) {
	p, err := New(Config{URL: "https://gws.example.com", User: "u"}, providers.Options{Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "genesys" {
		t.Errorf("Name %q", p.Name())
	}
	if r := p.RejectReasons(); r == nil || len(r) != 0 {
		t.Errorf("RejectReasons %#v", r)
	}
}

// TestFlagsOnTheCommandLine parses the flags the way the program does (kong
// with RINGSIDE_* variables): --genesys-insecure-http is taken from the
// command line only, and the name keys default to Workspace's convention.
func TestFlagsOnTheCommandLine(t *testing.T) {
	parse := func(t *testing.T, args ...string) Config {
		t.Helper()
		var cli struct {
			Genesys Config `embed:""`
		}
		parser, err := kong.New(&cli, kong.DefaultEnvars("RINGSIDE"), kong.Exit(func(int) { t.Fatal("kong wanted to exit") }))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parser.Parse(args); err != nil {
			t.Fatal(err)
		}
		return cli.Genesys
	}
	t.Setenv("RINGSIDE_GENESYS_INSECURE_HTTP", "true")
	if cfg := parse(t); cfg.InsecureHTTP {
		t.Error("RINGSIDE_GENESYS_INSECURE_HTTP must not allow plain http; only the flag may")
	}
	if cfg := parse(t, "--genesys-insecure-http"); !cfg.InsecureHTTP {
		t.Error("--genesys-insecure-http not read")
	}
	// Set anyway, it is refused in words rather than ignored unseen.
	plain := Config{URL: "http://127.0.0.1:8090", User: "u"}
	if _, err := plain.resolve(env(map[string]string{InsecureHTTPEnv: "1"})); err == nil ||
		!strings.Contains(err.Error(), InsecureHTTPEnv+" is set") || !strings.Contains(err.Error(), "--genesys-insecure-http on the command line") {
		t.Errorf("%s set: %v", InsecureHTTPEnv, err)
	}
	if cfg := parse(t); !reflect.DeepEqual(cfg.NameKeys, []string{"WWE_PARTY_{number}"}) {
		t.Errorf("default name keys %q", cfg.NameKeys)
	}
	t.Setenv("RINGSIDE_GENESYS_NAME_KEYS", "CallerName,WWE_PARTY_{number}")
	if cfg := parse(t); !reflect.DeepEqual(cfg.NameKeys, []string{"CallerName", "WWE_PARTY_{number}"}) {
		t.Errorf("name keys from the environment %q", cfg.NameKeys)
	}
	cfg := parse(t, "--genesys-name-keys=", "--genesys-url", "https://gws.example.com", "--genesys-user", "u")
	s, err := cfg.resolve(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.nameKeys) != 0 {
		t.Errorf("an empty --genesys-name-keys turns the lookup off, got %+v from %q", s.nameKeys, cfg.NameKeys)
	}
}

func TestNameKeys(t *testing.T) {
	keys, err := parseNameKeys([]string{" WWE_PARTY_{number} ", "", "CallerName", "{number}_name"})
	if err != nil {
		t.Fatal(err)
	}
	want := []nameKey{{prefix: "WWE_PARTY_", perNumber: true}, {prefix: "CallerName"}, {suffix: "_name", perNumber: true}}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %+v", keys)
	}
	for _, tt := range []struct {
		k      nameKey
		number string
		want   string
	}{
		{keys[0], "5005", "WWE_PARTY_5005"},
		{keys[0], "", ""},
		{keys[1], "", "CallerName"},
		{keys[2], "+14255550100", "+14255550100_name"},
	} {
		if got := tt.k.key(tt.number); got != tt.want {
			t.Errorf("%+v with %q: %q, want %q", tt.k, tt.number, got, tt.want)
		}
	}
}
