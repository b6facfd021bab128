package genesys

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"ringside/providers/httpguard"
	"ringside/providers/secretfile"
)

// PasswordEnv is the environment variable the GWS password is read from when
// no password file is given. The password is never a flag: flags show up in
// process lists and shell history.
const PasswordEnv = "RINGSIDE_GENESYS_PASSWORD"

// notificationsPath is where GWS serves CometD, relative to its base URL.
const notificationsPath = "/api/v2/notifications"

// Config is the genesys provider's part of the command line. The program
// embeds it; kong derives the flags and RINGSIDE_GENESYS_* variables from the
// tags.
type Config struct {
	URL          string `name:"genesys-url" placeholder:"URL" help:"Genesys Web Services base URL, e.g. https://gws.example.com."`
	User         string `name:"genesys-user" help:"GWS user name. The password comes from RINGSIDE_GENESYS_PASSWORD or --genesys-password-file."`
	PasswordFile string `name:"genesys-password-file" placeholder:"FILE" help:"File holding the GWS password (wins over RINGSIDE_GENESYS_PASSWORD)."`
	Login        bool   `name:"genesys-login" help:"Log the agent in to the voice channel at start (StartContactCenterSession) and out at quit."`
	Place        string `name:"genesys-place" help:"Place to log in at with --genesys-login (the user's default place if empty)."`
	CometdURL    string `name:"genesys-cometd-url" placeholder:"URL" help:"CometD endpoint (default: <genesys-url>/api/v2/notifications)."`
	// InsecureHTTP is read from the command line only (env:"-"): sending
	// the password in clear text must be a visible choice, not a variable
	// left behind in an environment.
	InsecureHTTP bool     `name:"genesys-insecure-http" env:"-" help:"Allow plain http:// to a GWS host that is not loopback (the password then travels unencrypted). Command line only."`
	NameKeys     []string `name:"genesys-name-keys" sep:"," default:"WWE_PARTY_{number}" placeholder:"KEY" help:"Attached-data (userData) keys that hold a caller's name, tried in order; {number} stands for the caller's number. Default WWE_PARTY_{number} (Workspace's party records); empty turns it off."`
}

// settings is a validated Config with the password resolved.
type settings struct {
	base         *url.URL // no trailing slash
	cometd       *url.URL
	user         string
	password     string
	passwordFrom string // where the password came from, for hints ("" if none was given)
	login        bool
	place        string
	warning      string    // standing caution for the header
	nameKeys     []nameKey // where attached data names a caller
}

// resolve checks cfg and reads the password. Errors name the flag to fix and
// never contain the password.
func (cfg Config) resolve(getenv func(string) string) (settings, error) {
	var s settings
	var err error
	if strings.TrimSpace(cfg.URL) == "" {
		return s, errors.New("genesys: --genesys-url is required (the GWS base URL, e.g. https://gws.example.com)")
	}
	if s.base, err = parseHTTPURL(cfg.URL); err != nil {
		return s, fmt.Errorf("genesys: --genesys-url: %w", err)
	}
	if cfg.CometdURL != "" {
		if s.cometd, err = parseHTTPURL(cfg.CometdURL); err != nil {
			return s, fmt.Errorf("genesys: --genesys-cometd-url: %w", err)
		}
	} else {
		s.cometd = s.base.JoinPath(notificationsPath)
	}
	s.user = strings.TrimSpace(cfg.User)
	if s.user == "" {
		return s, errors.New("genesys: --genesys-user is required")
	}
	if strings.Contains(s.user, ":") {
		// Basic authentication cannot carry a colon in the user name.
		return s, errors.New("genesys: --genesys-user must not contain ':'")
	}
	if cfg.Place != "" && !cfg.Login {
		return s, errors.New("genesys: --genesys-place only applies with --genesys-login")
	}
	s.login, s.place = cfg.Login, strings.TrimSpace(cfg.Place)

	switch {
	case cfg.PasswordFile != "":
		pw, err := secretfile.Read(cfg.PasswordFile)
		if err != nil {
			return s, fmt.Errorf("genesys: --genesys-password-file: %w", err)
		}
		s.password, s.passwordFrom = pw, "--genesys-password-file"
	case getenv(PasswordEnv) != "":
		s.password, s.passwordFrom = getenv(PasswordEnv), PasswordEnv
	}
	if s.nameKeys, err = parseNameKeys(cfg.NameKeys); err != nil {
		return s, fmt.Errorf("genesys: --genesys-name-keys: %w", err)
	}
	if getenv(InsecureHTTPEnv) != "" {
		return s, fmt.Errorf("genesys: %s is set, but plain http can only be allowed with --genesys-insecure-http on the command line; unset it", InsecureHTTPEnv)
	}
	if err := s.checkPlainHTTP(cfg); err != nil {
		return s, err
	}
	return s, nil
}

// InsecureHTTPEnv is the variable --genesys-insecure-http would read were
// it like the other flags. It is not: sending the password in clear text
// must be a visible choice on the command line. A value in it is refused,
// so an operator who set it learns that it does nothing.
const InsecureHTTPEnv = "RINGSIDE_GENESYS_INSECURE_HTTP"

// checkPlainHTTP refuses plain http to a host that is not this machine:
// Basic authentication would carry the password in clear text over the
// network. --genesys-insecure-http accepts that, and the header then warns
// for as long as the console runs.
func (s *settings) checkPlainHTTP(cfg Config) error {
	for _, u := range []struct {
		url  *url.URL
		flag string
	}{{s.base, "--genesys-url"}, {s.cometd, "--genesys-cometd-url"}} {
		if u.url.Scheme != "http" || httpguard.IsLoopbackHost(u.url.Hostname()) {
			continue
		}
		if !cfg.InsecureHTTP {
			if u.flag == "--genesys-cometd-url" && cfg.CometdURL == "" {
				u.flag = "--genesys-url" // the CometD URL was derived from it
			}
			return fmt.Errorf("genesys: %s: plain http:// to %s would send the GWS password unencrypted; use https://, or pass --genesys-insecure-http to accept that", u.flag, u.url.Host)
		}
		s.warning = "GWS over plain http: the password travels unencrypted"
	}
	return nil
}

// Bounds of --genesys-name-keys.
const (
	maxNameKeys   = 16
	maxNameKeyLen = 128
)

// numberPlaceholder stands for the caller's number in a name key.
const numberPlaceholder = "{number}"

// nameKey is one attached-data key that may hold a caller's name: literal,
// or with the caller's number between prefix and suffix.
type nameKey struct {
	prefix, suffix string
	perNumber      bool
}

// key is the attached-data key for the caller's number ("" when the key
// needs a number and there is none).
func (k nameKey) key(number string) string {
	if !k.perNumber {
		return k.prefix
	}
	if number == "" {
		return ""
	}
	return k.prefix + number + k.suffix
}

// parseNameKeys checks --genesys-name-keys. Empty entries are dropped, so an
// empty value turns the lookup off.
func parseNameKeys(raw []string) ([]nameKey, error) {
	var keys []nameKey
	for _, r := range raw {
		r = strings.TrimSpace(r)
		switch {
		case r == "":
			continue
		case len(r) > maxNameKeyLen:
			return nil, fmt.Errorf("a key is longer than %d bytes", maxNameKeyLen)
		case strings.Count(r, numberPlaceholder) > 1:
			return nil, fmt.Errorf("%q has %s more than once", r, numberPlaceholder)
		case strings.IndexFunc(r, func(c rune) bool { return !unicode.IsPrint(c) }) >= 0:
			return nil, fmt.Errorf("%q has characters that cannot be printed", r)
		}
		k := nameKey{prefix: r}
		if before, after, ok := strings.Cut(r, numberPlaceholder); ok {
			k = nameKey{prefix: before, suffix: after, perNumber: true}
		}
		keys = append(keys, k)
	}
	if len(keys) > maxNameKeys {
		return nil, fmt.Errorf("at most %d keys, got %d", maxNameKeys, len(keys))
	}
	return keys, nil
}

// parseHTTPURL accepts an absolute http(s) URL without query or fragment and
// returns it without a trailing slash.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// The parser's error quotes the whole URL, credentials included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	// Credentials first: no later message may show them.
	if u.User != nil {
		return nil, fmt.Errorf("%q must not carry credentials; use --genesys-user and %s", u.Redacted(), PasswordEnv)
	}
	if u.Opaque != "" {
		// "user:password@host" reads as scheme "user": show none of it.
		return nil, errors.New("must start with https:// or http://, e.g. https://gws.example.com")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q must start with https:// or http://", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q must not have a query or fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
