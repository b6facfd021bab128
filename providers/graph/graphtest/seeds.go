// Package graphtest holds fakes of the Microsoft services the graph provider
// talks to, built from their documented wire format: the Graph calls API
// (answer, reject, delete), the Entra token endpoint (client credentials), the
// calling platform's OpenID configuration with its JWKS, and a poster that
// delivers signed call notifications to a webhook the way the platform does.
// Tests use them through httptest; the fakegraph command serves them on
// loopback for trying ringside end to end. Keys are generated at run time;
// nothing here is a real credential.
package graphtest

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
)

//go:embed testdata/notifications/*.json testdata/requests/*.json
var files embed.FS

// SeedCallID is the call the seed examples are about, in the two spellings
// they use: the old /app paths in upper case without dashes, the current
// /communications paths as a lower-case GUID.
const (
	SeedCallIDOld = "57DAB8B1894C409AB240BD8BEAE78896"
	SeedCallID    = "57dab8b1-894c-409a-b240-bd8beae78896"
)

// Notification returns a stored notification body by file name (without
// directory), e.g. "seed000-incoming.json". Files named seed* are the JSON
// examples of the seed documents verbatim; doc* come from Graph's
// documentation; field* reproduce variations seen in real traffic.
func Notification(name string) []byte {
	return mustRead(path.Join("testdata/notifications", name))
}

// RequestBody returns a stored request body, e.g. "seed001-reject-busy.json".
func RequestBody(name string) []byte {
	return mustRead(path.Join("testdata/requests", name))
}

// Notifications lists the stored notification file names in order.
func Notifications() []string {
	entries, err := fs.ReadDir(files, "testdata/notifications")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("graphtest: no stored file %s", name))
	}
	return b
}

// WithCallID returns body with every spelling of the seed call's id replaced
// by id, so one stored example can stand for many calls.
func WithCallID(body []byte, id string) []byte {
	body = bytes.ReplaceAll(body, []byte(SeedCallIDOld), []byte(id))
	return bytes.ReplaceAll(body, []byte(SeedCallID), []byte(id))
}
