package genesys

import (
	"context"
	"errors"
)

// cometdFeed will carry GWS notifications over CometD once the shared Bayeux
// client is available.
type cometdFeed struct{ p *Provider }

func newCometdFeed(p *Provider) feed { return &cometdFeed{p: p} }

func (f *cometdFeed) run(ctx context.Context, out chan<- notice) error {
	return errors.New("CometD notifications are not wired in yet")
}
