package callapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"ringside/providers"
)

// OData types Graph's redirect and transfer examples put on each object.
const (
	odataInvitation  = "#microsoft.graph.invitationParticipantInfo"
	odataIdentitySet = "#microsoft.graph.identitySet"
	odataIdentity    = "#microsoft.graph.identity"
)

// Redirect sends a ringing call to another place before anyone answers it
// (POST …/calls/{id}/redirect): Teams rings the target instead of the bot.
// Like answer and reject it works only inside the call's answer window:
// with deadline passed it is not sent, and retries stop before deadline
// (zero: the client's budget applies). Graph answers 202 and later sends
// only "deleted": it never says whether the target picked up.
func (c *Client) Redirect(ctx context.Context, id string, to providers.Target, deadline time.Time) error {
	info, err := invitation(to, false)
	if err != nil {
		return fmt.Errorf("redirect %s: %w", id, err)
	}
	if !deadline.IsZero() && !c.cfg.Now().Before(deadline) {
		return fmt.Errorf("redirect %s: %w: its answer window has closed", id, providers.ErrNotAllowed)
	}
	body := redirectBody{Targets: []invitationInfo{info}, CallbackURI: c.cfg.CallbackURL}
	return c.act(ctx, "redirect", id, http.MethodPost, "/redirect", body, deadline, nil)
}

// Transfer hands a connected call over to a target without consulting it
// first (POST …/calls/{id}/transfer, a blind transfer). Graph answers 202,
// then reports transferring, transferAccepted and either the call's end
// (resultInfo 0/7015) or its return to established with a 500 resultInfo.
// Retries stop at the client's budget.
func (c *Client) Transfer(ctx context.Context, id string, to providers.Target) error {
	info, err := invitation(to, true)
	if err != nil {
		return fmt.Errorf("transfer %s: %w", id, err)
	}
	return c.act(ctx, "transfer", id, http.MethodPost, "/transfer", transferBody{TransferTarget: info}, time.Time{}, nil)
}

type redirectBody struct {
	Targets     []invitationInfo `json:"targets"`
	CallbackURI string           `json:"callbackUri,omitempty"`
}

type transferBody struct {
	TransferTarget invitationInfo `json:"transferTarget"`
}

// invitationInfo is Graph's invitationParticipantInfo, reduced to what a
// redirect or blind transfer sends.
type invitationInfo struct {
	Type string `json:"@odata.type"`
	// EndpointType is "default" in every transfer example of Graph's
	// documentation; the redirect examples leave it out.
	EndpointType string      `json:"endpointType,omitempty"`
	Identity     identitySet `json:"identity"`
}

// identitySet has exactly one of its members set.
type identitySet struct {
	Type                string    `json:"@odata.type"`
	User                *identity `json:"user,omitempty"`
	Application         *identity `json:"application,omitempty"`
	ApplicationInstance *identity `json:"applicationInstance,omitempty"`
	Phone               *identity `json:"phone,omitempty"`
}

type identity struct {
	Type        string `json:"@odata.type"`
	ID          string `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
	TenantID    string `json:"tenantId,omitempty"`
}

// invitation builds the invitationParticipantInfo for target:
//
//   - kind user with a Teams id: a user identity, with the tenant when
//     known (Graph has refused identities without one as a tenant
//     mismatch);
//   - kind queue with a Teams id: the queue's resource account, an
//     applicationInstance identity (the key Graph uses for resource
//     accounts in its notifications; its docs show no redirect to one);
//   - kind application: an application identity;
//   - otherwise an E.164 number: a phone identity (Graph connects it only
//     for calls that came in on an application instance with a number).
//
// A target with neither a Teams id nor an E.164 number cannot be reached
// through Graph.
func invitation(to providers.Target, transfer bool) (invitationInfo, error) {
	if err := to.Validate(); err != nil {
		return invitationInfo{}, err
	}
	set := identitySet{Type: odataIdentitySet}
	switch {
	case to.GraphID != "":
		id := &identity{Type: odataIdentity, ID: to.GraphID, TenantID: to.GraphTenantID}
		if to.Name != to.GraphID {
			id.DisplayName = to.Name
		}
		switch to.Kind {
		case providers.TargetQueue:
			set.ApplicationInstance = id
		case providers.TargetApplication:
			set.Application = id
		default:
			set.User = id
		}
	case to.Phone != "":
		set.Phone = &identity{Type: odataIdentity, ID: to.Phone}
	default:
		return invitationInfo{}, fmt.Errorf("%w: Teams cannot reach %q: it has no Teams id and no E.164 number", providers.ErrBadTarget, to.Name)
	}
	info := invitationInfo{Type: odataInvitation, Identity: set}
	if transfer {
		info.EndpointType = "default"
	}
	return info, nil
}
