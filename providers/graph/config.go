package graph

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"ringside/providers/graph/callapi"
	"ringside/providers/graph/webhookauth"
	"ringside/providers/httpguard"
	"ringside/providers/secretfile"
)

// SecretEnv is the environment variable the client secret is read from when
// no --graph-client-secret-file is given. Secrets are never flags.
const SecretEnv = "RINGSIDE_GRAPH_CLIENT_SECRET"

// SkipAuthEnv is the variable --graph-skip-auth would read were it like the
// other flags. It is not: switching inbound authentication off must be a
// visible choice on the command line, not something an inherited
// environment does unseen. A value in it is refused, so an operator who set
// it learns that it does nothing.
const SkipAuthEnv = "RINGSIDE_GRAPH_SKIP_AUTH"

// DefaultTokenURL is Entra's token endpoint; {tenant} is replaced by --graph-tenant.
const DefaultTokenURL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"

// Config is the graph provider's part of the command line. The program embeds
// it; kong derives the environment variables (RINGSIDE_GRAPH_LISTEN, …).
type Config struct {
	Listen       string `name:"graph-listen" default:"127.0.0.1:8443" group:"Microsoft Graph" help:"Address the webhook for Graph call notifications listens on."`
	CallbackPath string `name:"graph-callback-path" default:"/api/calls" group:"Microsoft Graph" help:"Path Graph posts call notifications to; paths below it are accepted too (per-call callback URIs)."`
	TLSCert      string `name:"graph-tls-cert" type:"path" group:"Microsoft Graph" help:"TLS certificate (PEM) for the webhook; with --graph-tls-key the webhook serves HTTPS. Without them it serves plain HTTP, for use behind a TLS-terminating tunnel or proxy."`
	TLSKey       string `name:"graph-tls-key" type:"path" group:"Microsoft Graph" help:"TLS private key (PEM) for the webhook."`
	CallbackURL  string `name:"graph-callback-url" group:"Microsoft Graph" help:"Public https URL at which Microsoft reaches this webhook (e.g. https://<tunnel host>/api/calls). Sent as callbackUri when answering, so the call's later notifications come here. Empty: Graph uses the calling webhook registered for the bot in Azure."`

	ClientID         string `name:"graph-client-id" group:"Microsoft Graph" help:"The bot's Entra application (client) id: notification tokens must be addressed to it, and it is the app that acts on calls."`
	Tenant           string `name:"graph-tenant" group:"Microsoft Graph" help:"Entra tenant (id or domain) to get the app token from."`
	ClientSecretFile string `name:"graph-client-secret-file" type:"path" group:"Microsoft Graph" help:"File holding the app's client secret. Otherwise the secret is read from RINGSIDE_GRAPH_CLIENT_SECRET. Without a secret the console shows calls but cannot act on them."`
	APIBase          string `name:"graph-api-base" default:"https://graph.microsoft.com/v1.0" group:"Microsoft Graph" help:"Graph REST base URL. .../beta and national clouds (https://graph.microsoft.us/v1.0, https://dod-graph.microsoft.us/v1.0) work by changing it."`
	TokenURL         string `name:"graph-token-url" default:"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token" group:"Microsoft Graph" help:"Token endpoint for the app token; {tenant} is replaced by --graph-tenant. Change it for national clouds (login.microsoftonline.us)."`
	Scope            string `name:"graph-scope" group:"Microsoft Graph" help:"Scope of the app token. Default: the API base's scheme and host + /.default (https://graph.microsoft.com/.default)."`

	OpenIDConfig string `name:"graph-openid-config" default:"https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration" group:"Microsoft Graph" help:"OpenID configuration of the calling platform; its jwks_uri holds the keys notification tokens are signed with."`
	ResolveNames bool   `name:"graph-resolve-names" group:"Microsoft Graph" help:"Look up the display names of Teams callers who arrive with an id only (GET /users/{id}, application permission User.Read.All). The name follows as a later update of the call; until then, and without this flag, such a caller shows as e.g. \"Teams user ·3f9a2c\"."`
	SkipAuth     bool   `name:"graph-skip-auth" env:"-" group:"Microsoft Graph" help:"Do not check notification tokens. Local development only: anyone who can reach the webhook can then inject calls. Command line only, and only with a loopback --graph-listen."`
}

// settings is a Config that has been checked and resolved.
type settings struct {
	listen       string
	callbackPath string
	tls          *tls.Config
	openID       string // the OpenID configuration URL; empty with SkipAuth
	skipAuth     bool
	api          callapi.Config
	actionsOff   string // why the console cannot act on calls; empty when it can
}

func (cfg Config) check(getenv func(string) string) (settings, error) {
	var s settings
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	s.listen = strings.TrimSpace(cfg.Listen)
	s.skipAuth = cfg.SkipAuth
	listenHost, _, listenErr := net.SplitHostPort(s.listen)
	if listenErr != nil {
		bad("--graph-listen %q: want host:port, e.g. 127.0.0.1:8443", cfg.Listen)
	}
	if getenv(SkipAuthEnv) != "" {
		bad("%s is set, but inbound authentication can only be turned off with --graph-skip-auth on the command line; unset it", SkipAuthEnv)
	}
	// Without token checks anyone who reaches the webhook can inject calls,
	// so it must not be reachable from another machine. An empty host
	// (":8443") listens on every interface.
	if cfg.SkipAuth && listenErr == nil && !httpguard.IsLoopbackHost(listenHost) {
		bad("--graph-skip-auth needs --graph-listen on a loopback address (127.0.0.1, [::1] or localhost), not %q: anyone who can reach the webhook could inject calls", s.listen)
	}
	s.callbackPath = strings.TrimRight(strings.TrimSpace(cfg.CallbackPath), "/")
	if !strings.HasPrefix(cfg.CallbackPath, "/") || strings.ContainsAny(s.callbackPath, " ?#") {
		bad("--graph-callback-path %q: want a path such as /api/calls", cfg.CallbackPath)
	}
	if s.callbackPath == "" {
		s.callbackPath = "/"
	}

	switch {
	case cfg.TLSCert != "" && cfg.TLSKey != "":
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			bad("load the webhook's TLS certificate and key: %v", err)
		} else {
			s.tls = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		}
	case cfg.TLSCert != "" || cfg.TLSKey != "":
		bad("give both --graph-tls-cert and --graph-tls-key, or neither")
	}

	if cfg.CallbackURL != "" {
		if err := checkURL(cfg.CallbackURL, true); err != nil {
			bad("--graph-callback-url: %v", err)
		}
	}
	apiBase := orDefault(cfg.APIBase, callapi.DefaultAPIBase)
	if err := checkURL(apiBase, false); err != nil {
		bad("--graph-api-base: %v", err)
	}

	if !cfg.SkipAuth {
		if strings.TrimSpace(cfg.ClientID) == "" {
			bad("--graph-client-id is needed to check that notifications are meant for this bot (or --graph-skip-auth for local development)")
		}
		s.openID = orDefault(cfg.OpenIDConfig, webhookauth.DefaultOpenIDConfig)
		if err := checkURL(s.openID, false); err != nil {
			bad("--graph-openid-config: %v", err)
		}
	}

	secret, err := readSecret(cfg.ClientSecretFile, getenv)
	if err != nil {
		errs = append(errs, err)
	}
	tokenURL := orDefault(cfg.TokenURL, DefaultTokenURL)
	if cfg.ResolveNames && secret == "" && err == nil {
		bad("--graph-resolve-names needs the app token: set %s or --graph-client-secret-file", SecretEnv)
	}
	switch {
	case secret == "":
		s.actionsOff = "no client secret (set " + SecretEnv + " or --graph-client-secret-file)"
	case strings.TrimSpace(cfg.ClientID) == "":
		bad("--graph-client-id is needed to act on calls with the client secret")
	case strings.Contains(tokenURL, "{tenant}") && strings.TrimSpace(cfg.Tenant) == "":
		bad("--graph-tenant is needed to get an app token from %s", tokenURL)
	}
	tokenURL = strings.ReplaceAll(tokenURL, "{tenant}", url.PathEscape(strings.TrimSpace(cfg.Tenant)))
	if secret != "" {
		if err := checkURL(tokenURL, false); err != nil {
			bad("--graph-token-url: %v", err)
		}
	}
	s.api = callapi.Config{
		APIBase: apiBase, TokenURL: tokenURL, ClientID: strings.TrimSpace(cfg.ClientID), ClientSecret: secret,
		Scope: strings.TrimSpace(cfg.Scope), CallbackURL: cfg.CallbackURL,
	}
	return s, errors.Join(errs...)
}

// readSecret takes the secret from the file when one is named (an explicit
// flag wins over the environment, as flags do everywhere), else from the
// environment. Errors name the file, never its content.
func readSecret(file string, getenv func(string) string) (string, error) {
	if file != "" {
		b, err := secretfile.Read(file)
		if err != nil {
			return "", fmt.Errorf("--graph-client-secret-file: %w", err)
		}
		secret := strings.TrimSpace(b)
		if secret == "" {
			return "", fmt.Errorf("--graph-client-secret-file %s is empty", file)
		}
		return secret, nil
	}
	return strings.TrimSpace(getenv(SecretEnv)), nil
}

// checkURL accepts absolute https URLs, and plain http only to this machine
// (local fakes, a tunnel's local end). callback says the URL is one Microsoft
// must reach: Graph only calls https, so http is refused unless it is
// loopback (for local testing against a fake).
func checkURL(s string, callback bool) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", s, err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%q: want an absolute https URL", s)
	}
	if u.Scheme == "http" && !httpguard.IsLoopbackHost(u.Hostname()) {
		if callback {
			return fmt.Errorf("%q: Microsoft only calls https URLs", s)
		}
		return fmt.Errorf("%q: plain http is only allowed to this machine; use https", s)
	}
	return nil
}

func orDefault(s, def string) string {
	if s = strings.TrimSpace(s); s == "" {
		return def
	}
	return s
}
