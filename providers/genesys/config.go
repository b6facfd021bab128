package genesys

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"ringside/providers"
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
	warning      string // standing caution for the header
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
	for _, u := range []*url.URL{s.base, s.cometd} {
		if u.Scheme == "http" && !providers.IsLoopbackHost(u.Hostname()) {
			s.warning = "GWS over plain http: the password travels unencrypted"
		}
	}
	return s, nil
}

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
