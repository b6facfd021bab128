package genesys

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

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
			name: "plain http elsewhere is allowed with a standing warning",
			cfg:  Config{URL: "http://gws.internal:8080", User: "u", Login: true, Place: "SIP_Server_Place1"},
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
	want := []string{"genesys-url", "genesys-user", "genesys-password-file", "genesys-login", "genesys-place", "genesys-cometd-url"}
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
