package bayeux

import (
	"fmt"
	"strings"
)

// checkChannel validates a channel name a client may use: segments
// separated by "/", none empty; for a subscription the last segment may be
// "*" (any one segment) or "**" (any depth). Meta channels are the
// client's own business and are refused.
func checkChannel(name string, pattern bool) error {
	if !strings.HasPrefix(name, "/") || len(name) < 2 {
		return fmt.Errorf("channel %q must start with / and name something, like /v2/me/calls", name)
	}
	if name == "/meta" || strings.HasPrefix(name, "/meta/") {
		return fmt.Errorf("channel %q is a meta channel, which the client handles itself", name)
	}
	segs := strings.Split(name[1:], "/")
	for i, seg := range segs {
		if seg == "" {
			return fmt.Errorf("channel %q has an empty segment", name)
		}
		if strings.Contains(seg, "*") {
			last := i == len(segs)-1
			switch {
			case !pattern:
				return fmt.Errorf("channel %q has a wildcard; publish to a single channel", name)
			case !last || (seg != "*" && seg != "**"):
				return fmt.Errorf("channel %q: a wildcard must be the whole last segment, * or **", name)
			}
		}
		for _, r := range seg {
			if r < 0x20 || r == 0x7f {
				return fmt.Errorf("channel %q has a control character", name)
			}
		}
	}
	return nil
}
