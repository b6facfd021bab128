package genesys

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"ringside/providers"
	"ringside/providers/internal/bayeux"
)

// closeWait bounds the CometD disconnect at quit.
const closeWait = 5 * time.Second

// cometdFeed hears GWS over CometD: long-polling (the only transport GWS 8.5
// serves), the REST client's credentials on every request and its cookie
// jar, so that CometD rides on the same HTTP session (JSESSIONID) and keeps
// its BAYEUX_BROWSER cookie.
type cometdFeed struct{ p *Provider }

func newCometdFeed(p *Provider) feed { return &cometdFeed{p: p} }

func (f *cometdFeed) run(ctx context.Context, out chan<- notice) error {
	rest := f.p.rest
	client, err := bayeux.Start(bayeux.Config{
		URL:       f.p.s.cometd.String(),
		Transport: bayeux.LongPolling,
		Channels:  []string{channelCalls, channelDevices},
		Jar:       rest.jar,
		Header: func(h http.Header) {
			for name, values := range rest.headers() {
				h[name] = values
			}
		},
		Log: f.p.opts.Log.With("part", "cometd"),
	})
	if err != nil {
		return fmt.Errorf("CometD at %s: %w", f.p.s.cometd.Redacted(), err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeWait)
		defer cancel()
		if err := client.Close(cctx); err != nil {
			f.p.opts.Log.Info("CometD disconnect", "error", err)
		}
	}()

	send := func(n notice) bool {
		select {
		case out <- n:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var stopped error
	events := client.Events()
	for {
		var ev bayeux.Event
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case ev, ok = <-events:
		}
		if !ok {
			// The client ended by itself, after its Stopped event.
			if stopped == nil {
				stopped = errors.New("the CometD client ended")
			}
			return stopped
		}
		var n notice
		switch ev.Kind {
		case bayeux.KindMessage:
			n = notice{kind: noticeMessage, channel: ev.Channel, data: ev.Data, checked: true}
		case bayeux.KindResync:
			n = notice{kind: noticeResync, detail: ev.Reason}
		case bayeux.KindState:
			switch ev.State {
			case bayeux.Connecting:
				n = notice{kind: noticeLink, link: providers.LinkConnecting, detail: "connecting to CometD at " + f.p.s.cometd.Host}
			case bayeux.Live:
				n = notice{kind: noticeLink, link: providers.LinkLive}
			case bayeux.Reconnecting:
				n = notice{kind: noticeLink, link: providers.LinkReconnecting, detail: ev.Reason}
			case bayeux.Stopped:
				stopped = stopReason(ev)
				continue
			default:
				continue
			}
		case bayeux.KindSubscribeFailed:
			if ev.Channel == channelCalls {
				// Without it the console would show calls that never
				// change: better to stop and say why.
				return fmt.Errorf("GWS refused the subscription to %s: %s", ev.Channel, ev.Reason)
			}
			f.p.opts.Log.Warn("GWS refused a subscription; the agent state will not update", "channel", ev.Channel, "why", ev.Reason)
			continue
		default:
			continue
		}
		if !send(n) {
			return nil
		}
	}
}

// stopReason is why the CometD client stopped, in words. The client's
// Reason is usually its Err's own text; it is said once.
func stopReason(ev bayeux.Event) error {
	switch {
	case ev.Err != nil && ev.Reason != "" && ev.Reason != ev.Err.Error():
		return fmt.Errorf("%s: %w", ev.Reason, ev.Err)
	case ev.Err != nil:
		return ev.Err
	case ev.Reason != "":
		return errors.New(ev.Reason)
	}
	return errors.New("the CometD client stopped")
}
