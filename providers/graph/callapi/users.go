package callapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"ringside/providers"
)

// UserDisplayName reads a directory user's display name with the app token:
// GET {base}/users/{id}?$select=displayName, which needs the User.Read.All
// application permission. id must be a GUID, the form Teams gives a user's
// id in call notifications. A user with no display name gives "" and no
// error. There is one attempt (and one more with a fresh token after a 401):
// a name is a nicety that must never queue behind retries.
//
// A refusal wraps *providers.RefusedError, so callers can tell 403 (no
// permission) from 404 (no such user in the tenant).
func (c *Client) UserDisplayName(ctx context.Context, id string) (string, error) {
	// Only a GUID reaches the request's path.
	if !providers.IsGUID(id) {
		return "", fmt.Errorf("look up user %.40q: not a directory id (want a GUID such as 3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f)", id)
	}
	target := c.base + "/users/" + url.PathEscape(id) + "?$select=displayName"
	clientReqID := newUUID()
	for refreshed := false; ; refreshed = true {
		tok, err := c.token(ctx)
		if err != nil {
			return "", fmt.Errorf("look up user %s: %w", id, err)
		}
		res, err := c.send(ctx, tok, http.MethodGet, target, nil, clientReqID)
		if err != nil {
			return "", fmt.Errorf("look up user %s: %w", id, err)
		}
		c.cfg.Log.Debug("graph: look up user", "user", id, "status", res.status,
			"request_id", res.refused.RequestID, "client_request_id", clientReqID)
		switch {
		case res.status == http.StatusOK:
			return decodeDisplayName(id, res.body)
		case res.status == http.StatusUnauthorized && !refreshed:
			c.dropToken(ctx, tok)
			continue
		case res.status == http.StatusForbidden:
			return "", fmt.Errorf("look up user %s: %w (the app lacks the User.Read.All application permission or its admin consent)", id, res.refused)
		}
		return "", fmt.Errorf("look up user %s: %w", id, res.refused)
	}
}

// decodeDisplayName reads {"displayName": "…"} (null or absent: no name).
func decodeDisplayName(id string, body []byte) (string, error) {
	var user struct {
		DisplayName *string `json:"displayName"`
	}
	if err := json.Unmarshal(body, &user); err != nil {
		return "", fmt.Errorf("look up user %s: unreadable reply from Graph: %w", id, err)
	}
	if user.DisplayName == nil {
		return "", nil
	}
	return *user.DisplayName, nil
}

// IsForbidden reports whether err is Graph's 403: the app lacks a permission.
func IsForbidden(err error) bool {
	var refused *providers.RefusedError
	return errors.As(err, &refused) && refused.Status == http.StatusForbidden
}
