// Command fakegraph plays Microsoft's side of a Teams calling bot on
// loopback, so ringside's graph provider can be tried end to end without an
// Azure tenant. It serves, on one address:
//
//   - the Graph calls API (answer, reject, redirect, transfer, DELETE, GET)
//     under /v1.0 and /beta, logging every request it receives;
//   - an Entra-style token endpoint for the client-credentials grant;
//   - the calling platform's OpenID configuration and JWKS, with an RSA key
//     generated at start;
//
// and it posts call notifications, signed with that key, to ringside's
// webhook: the seed examples and the other documented shapes. After an
// accepted action it sends what Graph sends next (reject: deleted; answer:
// establishing, established; hang up: terminating, terminated 200/5001;
// redirect: deleted; transfer: transferring, transferAccepted, terminated
// 0/7015, or for a target named in -fail-transfers-to, transferring and back
// to established with 500/7700).
//
//	go run ./providers/graph/graphtest/cmd/fakegraph -scenario ring
//
// It prints the ringside flags that point at it. Nothing here is a real
// credential; it never talks to anything but loopback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"ringside/providers/graph/graphtest"
	"ringside/providers/httpguard"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fakegraph:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:9444", "address to serve the fake Graph API, token endpoint and platform keys on (loopback only)")
	webhook := flag.String("webhook", "http://127.0.0.1:8443/api/calls", "ringside's webhook to post notifications to (loopback only)")
	tenant := flag.String("tenant", "contoso-tenant", "tenant the token endpoint serves")
	clientID := flag.String("client-id", "2891555a-92ff-42e6-80fa-6e1300c6b5c6", "the bot's app id: the audience of notification tokens and the client the token endpoint accepts")
	secret := flag.String("client-secret", "not-a-real-secret", "the client secret the token endpoint accepts (a made-up value for local runs)")
	scenario := flag.String("scenario", graphtest.ScenarioRing, "what to post: ring (four ringing calls in every wire shape), seeds (every seed notification through whole calls), none")
	pause := flag.Duration("pause", time.Second, "pause between notifications")
	wait := flag.Duration("wait", 2*time.Minute, "how long to wait for the webhook to come up")
	stay := flag.Bool("stay", true, "keep serving after the scenario, to answer the console's actions")
	failTransfers := flag.String("fail-transfers-to", "", "comma-separated Teams ids or E.164 numbers whose transfers fail (500/7700)")
	flag.Parse()

	if err := loopbackOnly("-listen", "tcp://"+*listen); err != nil {
		return err
	}
	if err := loopbackOnly("-webhook", *webhook); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	fake, err := graphtest.NewFake(graphtest.Options{Tenant: *tenant, ClientID: *clientID, ClientSecret: *secret})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	urls := graphtest.URLsFor("http://"+ln.Addr().String(), *tenant)
	srv := &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 5 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	driver := graphtest.NewDriver(fake, *webhook, *clientID, log)
	for id := range strings.SplitSeq(*failTransfers, ",") {
		if id = strings.TrimSpace(id); id != "" {
			driver.FailTransfersTo(id)
		}
	}
	driver.React(ctx)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		shut, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()

	fmt.Printf(`fake Graph on %s (signing key id %s)
run ringside against it with:

  RINGSIDE_GRAPH_CLIENT_SECRET=%s ringside --provider graph \
    --graph-listen %s --graph-client-id %s --graph-tenant %s \
    --graph-api-base %s \
    --graph-token-url %s \
    --graph-openid-config %s

`, urls.Base, fake.Signer.KID, *secret, hostPort(*webhook), *clientID, *tenant, urls.APIBase,
		urls.Base+"/{tenant}/oauth2/v2.0/token", urls.OpenIDConfig)

	if *scenario != "none" {
		waitCtx, cancel := context.WithTimeout(ctx, *wait)
		log.Info("waiting for the webhook", "url", *webhook)
		err := driver.WaitForWebhook(waitCtx)
		cancel()
		if err != nil {
			return err
		}
		ids, err := driver.Play(ctx, *scenario, *pause)
		log.Info("scenario posted", "scenario", *scenario, "calls", strings.Join(ids, " "), "err", err)
		if err != nil && !errors.Is(err, context.Canceled) && !*stay {
			return err
		}
	}
	if !*stay {
		return nil
	}
	log.Info("serving until interrupted (Ctrl-C)")
	select {
	case <-ctx.Done():
		return nil
	case err := <-served:
		return err
	}
}

// loopbackOnly refuses any address that is not this machine: the fake is
// for local runs and must never post signed notifications elsewhere.
func loopbackOnly(flagName, raw string) error {
	host := hostPort(raw)
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if httpguard.IsLoopbackHost(h) {
		return nil
	}
	return fmt.Errorf("%s %s: only loopback addresses (127.0.0.1, ::1, localhost) are allowed", flagName, raw)
}

func hostPort(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		raw = raw[i+3:]
	}
	if i := strings.IndexByte(raw, '/'); i >= 0 {
		raw = raw[:i]
	}
	return raw
}
