package notification

import (
	"strings"
	"testing"
)

// splitResource is how ParseResource read a path before it walked the
// segments one by one: by splitting it. It stays here as the reference the
// walk must agree with.
func splitResource(resource string) (Kind, string) {
	path := resource
	if i := strings.Index(path, "://"); i >= 0 {
		path = path[i+3:]
		if j := strings.IndexByte(path, '/'); j >= 0 {
			path = path[j:]
		} else {
			return KindOther, ""
		}
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(segs); i++ {
		if !strings.EqualFold(segs[i], "calls") || segs[i+1] == "" {
			continue
		}
		if i == 0 || !splitParent(segs[i-1], segs[:i]) {
			continue
		}
		id := segs[i+1]
		rest := segs[i+2:]
		switch {
		case len(rest) == 0:
			return KindCall, id
		case strings.EqualFold(rest[0], "participants"):
			return KindParticipants, id
		case strings.EqualFold(rest[0], "operations"):
			return KindOperation, id
		default:
			return KindCallSubresource, id
		}
	}
	return KindOther, ""
}

func splitParent(parent string, before []string) bool {
	switch strings.ToLower(parent) {
	case "communications", "app":
		return true
	}
	return len(before) >= 2 && strings.EqualFold(before[len(before)-2], "applications")
}

// FuzzParseResourceMatchesSplit: the walk over a path's segments finds what
// splitting it found, for any path.
func FuzzParseResourceMatchesSplit(f *testing.F) {
	for _, s := range []string{
		"/communications/calls/57dab8b1-894c-409a-b240-bd8beae78896",
		"/app/calls/57DAB8B1894C409AB240BD8BEAE78896/participants",
		"https://graph.microsoft.com/v1.0/communications/calls/a/operations/b?x=1#y",
		"applications/app1/calls/c1/contentSharingSessions/s",
		"/calls/a", "//communications//calls//a", "communications/calls/", "communications/CALLS/a/",
		"x/applications/y/calls/z", "applications/calls/z", "/APP/Calls/a/Participants/p", "", "/", "://", "a://b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, resource string) {
		kind, id := ParseResource(resource)
		wantKind, wantID := splitResource(resource)
		if kind != wantKind || id != wantID {
			t.Fatalf("ParseResource(%q) = %d %q, splitting gives %d %q", resource, kind, id, wantKind, wantID)
		}
	})
}
