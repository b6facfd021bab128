package graph

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

const callerTenant = "632899f8-2ea1-4604-8413-27bd2892079f"

// fromUser is a notification about call callID from a Teams user named by
// directory id and tenant only, as real incoming calls often are: created
// (ringing) or updated with a state ("Established").
func fromUser(callID, userID, changeType, state string) []byte {
	return fmt.Appendf(nil, `{"@odata.type": "#microsoft.graph.commsNotifications", "value": [{
  "@odata.type": "#microsoft.graph.commsNotification", "changeType": %q,
  "resourceUrl": "/communications/calls/%s",
  "resourceData": {
    "@odata.type": "#microsoft.graph.call", "state": %q, "direction": "incoming",
    "source": {"@odata.type": "#microsoft.graph.participantInfo",
      "identity": {"@odata.type": "#microsoft.graph.identitySet",
        "user": {"@odata.type": "#microsoft.graph.identity", "id": %q, "tenantId": %q}},
      "region": "amer"},
    "targets": [{"@odata.type": "#microsoft.graph.invitationParticipantInfo",
      "identity": {"application": {"displayName": "Calling Bot", "id": "2891555a-92ff-42e6-80fa-6e1300c6b5c6"}}}],
    "requestedModalities": ["audio"], "tenantId": %q, "id": %q}}]}`,
		changeType, callID, state, userID, callerTenant, callerTenant, callID)
}

func ringingFrom(callID, userID string) []byte {
	return fromUser(callID, userID, "created", "incoming")
}

// newUserID makes a fresh directory id.
func newUserID() string { return graphtest.NewCallID() }

// label is what a user without a name reads as.
func label(userID string) string { return "Teams user ·" + userID[:6] }

// resolving runs the provider with --graph-resolve-names; names follows
// the harness's clock unless a test gives it one of its own (moving the
// harness's clock would expire the webhook's tokens).
func resolving(tune func(*Provider)) setup {
	return setup{
		config: func(c *Config) { c.ResolveNames = true },
		tune:   tune,
	}
}

// namesClock gives the provider's name book a clock of its own.
func namesClock(p *Provider) *fakeClock {
	c := &fakeClock{t: time.Now()}
	p.names.now = c.Now
	return c
}

// settled waits until no name is queued or being looked up. Call it after
// h.quiet(), which proves the worker has handed every earlier call's
// names over.
func (h *harness) settled() {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.p.names.mu.Lock()
		n := len(h.p.names.pending)
		h.p.names.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d name lookups still under way after 5 s", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// callOf waits for the next event about call id.
func (h *harness) callOf(id string) providers.Call {
	h.t.Helper()
	return h.callWhere(func(c providers.Call) bool { return c.ID == id })
}

func TestCallerNameArrivesAsALaterSnapshot(t *testing.T) {
	h := newHarness(t, resolving(nil))
	user := newUserID()
	h.srv.Users.Add(user, "Adele Vance")
	// The directory holds its answer: the call must ring all the same.
	release := h.srv.Users.Hold()
	t.Cleanup(release)

	call := graphtest.NewCallID()
	h.post(ringingFrom(call, user))
	first := h.callOf(call)
	if first.From.Name != "" || first.From.ID != user || first.From.String() != label(user) || first.Version != 1 {
		t.Fatalf("first snapshot: from %+v (%q) version %d, want the label while the name is looked up",
			first.From, first.From.String(), first.Version)
	}
	if first.State != providers.StateRinging {
		t.Fatalf("first snapshot is %s, want ringing", first.State)
	}

	// Nor does a held lookup hold up the next caller.
	other := graphtest.NewCallID()
	h.post(ringingFrom(other, newUserID()))
	if c := h.callOf(other); c.State != providers.StateRinging {
		t.Fatalf("the next call is %s, want ringing while a name is looked up", c.State)
	}

	release()
	named := h.callOf(call)
	if named.From.Name != "Adele Vance" || named.From.ID != user || named.Version != 2 || named.State != providers.StateRinging {
		t.Fatalf("later snapshot: from %+v version %d %s, want the name as version 2, still ringing", named.From, named.Version, named.State)
	}
	reqs := h.srv.Users.Requests()
	if !slices.ContainsFunc(reqs, func(r graphtest.UserLookup) bool {
		return r.Path == "/v1.0/users/"+user && r.Select == "displayName" && r.Status == http.StatusOK
	}) {
		t.Fatalf("lookups: %+v, want GET /v1.0/users/%s?$select=displayName", reqs, user)
	}

	// Later notifications name the user by id alone again: the name stays.
	h.post(fromUser(call, user, "updated", "Established"))
	active := h.callOf(call)
	if active.State != providers.StateActive || active.From.Name != "Adele Vance" {
		t.Fatalf("after the call was answered: %s from %+v, want active and still named", active.State, active.From)
	}
	h.quiet()
	h.settled()
	if n := len(h.srv.Users.Requests()); n != 2 {
		t.Fatalf("%d lookups, want one for each caller", n)
	}
}

func TestCallerNameFromTheCacheNeedsNoSecondLookup(t *testing.T) {
	var clock *fakeClock
	h := newHarness(t, resolving(func(p *Provider) { clock = namesClock(p) }))
	user := newUserID()
	h.srv.Users.Add(user, "Adele Vance")
	first := graphtest.NewCallID()
	h.post(ringingFrom(first, user))
	h.callOf(first)
	if c := h.callOf(first); c.From.Name != "Adele Vance" {
		t.Fatalf("from %+v, want the name", c.From)
	}

	again := graphtest.NewCallID()
	h.post(ringingFrom(again, user))
	if c := h.callOf(again); c.From.Name != "Adele Vance" || c.Version != 1 {
		t.Fatalf("second call from the same user: from %+v version %d, want the cached name at once", c.From, c.Version)
	}
	h.quiet()
	h.settled()
	if n := len(h.srv.Users.Requests()); n != 1 {
		t.Fatalf("%d lookups, want one: the second call's name came from the cache", n)
	}

	// A name is trusted for an hour; after that it is looked up again.
	clock.Set(clock.Now().Add(nameHitTTL + time.Minute))
	later := graphtest.NewCallID()
	h.post(ringingFrom(later, user))
	if c := h.callOf(later); c.From.Name != "" {
		t.Fatalf("after the name expired: from %+v, want the label until the lookup answers", c.From)
	}
	if c := h.callOf(later); c.From.Name != "Adele Vance" {
		t.Fatalf("from %+v, want the name looked up again", c.From)
	}
	if n := len(h.srv.Users.Requests()); n != 2 {
		t.Fatalf("%d lookups, want a second one after expiry", n)
	}
}

func TestCallerNameLookupFailureKeepsTheLabel(t *testing.T) {
	h := newHarness(t, resolving(func(p *Provider) { p.names.timeout = 200 * time.Millisecond }))
	unknown := newUserID() // not in the directory: 404
	call := graphtest.NewCallID()
	h.post(ringingFrom(call, unknown))
	if c := h.callOf(call); c.From.String() != label(unknown) {
		t.Fatalf("from %q, want the label", c.From.String())
	}
	h.srv.Users.Wait(t.Context(), 1)
	h.quiet()
	h.settled()
	h.quiet() // no snapshot with a name, nor any other, came in between
	if !h.logContains("could not look up a caller's name") || !h.logContains("Request_ResourceNotFound") {
		t.Fatalf("the failure is not logged in Graph's words:\n%s", h.logs)
	}

	// The miss is remembered: another call from the same caller asks no more.
	again := graphtest.NewCallID()
	h.post(ringingFrom(again, unknown))
	if c := h.callOf(again); c.From.String() != label(unknown) {
		t.Fatalf("from %q, want the label", c.From.String())
	}
	h.quiet()
	h.settled()
	if n := len(h.srv.Users.Requests()); n != 1 {
		t.Fatalf("%d lookups, want the failed one only", n)
	}

	// A directory that does not answer: the lookup gives up, the label stays.
	slow := newUserID()
	h.srv.Users.Add(slow, "Never Shown")
	release := h.srv.Users.Hold()
	t.Cleanup(release)
	third := graphtest.NewCallID()
	h.post(ringingFrom(third, slow))
	h.callOf(third)
	h.quiet()
	h.settled()
	release()
	h.quiet()
	if reqs := h.srv.Users.Requests(); len(reqs) != 2 || reqs[1].Status != 0 {
		t.Fatalf("lookups %+v, want the held one given up", reqs)
	}
	if !h.logContains("deadline exceeded") {
		t.Fatalf("the timeout is not logged:\n%s", h.logs)
	}
}

func TestCallerNameForbiddenIsSaidOnceAndPauses(t *testing.T) {
	var clock *fakeClock
	h := newHarness(t, resolving(func(p *Provider) { clock = namesClock(p) }))
	denied := graphtest.Response{Status: http.StatusForbidden, Code: "Authorization_RequestDenied",
		Message: "Insufficient privileges to complete the operation."}
	first, second := newUserID(), newUserID()
	h.srv.Users.Add(first, "Adele Vance")
	h.srv.Users.Add(second, "Alex Wilber")
	h.srv.Users.Script(first, denied, denied)

	call := graphtest.NewCallID()
	h.post(ringingFrom(call, first))
	h.callOf(call)
	h.quiet()
	h.settled()
	h.quiet()
	if strings.Count(h.logs.String(), "User.Read.All application permission with admin consent") != 1 {
		t.Fatalf("want one warning naming the permission:\n%s", h.logs)
	}

	// Paused: a different caller is not looked up either.
	other := graphtest.NewCallID()
	h.post(ringingFrom(other, second))
	if c := h.callOf(other); c.From.String() != label(second) {
		t.Fatalf("from %q, want the label", c.From.String())
	}
	h.quiet()
	h.settled()
	if n := len(h.srv.Users.Requests()); n != 1 {
		t.Fatalf("%d lookups while paused, want only the refused one", n)
	}

	// After the pause it tries again; another 403 is not said twice.
	clock.Set(clock.Now().Add(nameDeniedPause + time.Minute))
	third := graphtest.NewCallID()
	h.post(ringingFrom(third, newUserID()))
	h.srv.Users.Script(first, denied)
	h.callOf(third)
	h.quiet()
	h.settled()
	if n := len(h.srv.Users.Requests()); n != 2 {
		t.Fatalf("%d lookups, want one more after the pause", n)
	}
	h.post(ringingFrom(graphtest.NewCallID(), second))
	named := h.callWhere(func(c providers.Call) bool { return c.From.Name == "Alex Wilber" })
	if named.From.ID != second {
		t.Fatalf("from %+v", named.From)
	}
	if strings.Count(h.logs.String(), "User.Read.All application permission with admin consent") != 1 {
		t.Fatalf("the permission warning was repeated:\n%s", h.logs)
	}
}

func TestCallerNameNoLookupWithoutTheFlag(t *testing.T) {
	h := newHarness(t, setup{})
	user := newUserID()
	h.srv.Users.Add(user, "Adele Vance")
	call := graphtest.NewCallID()
	h.post(ringingFrom(call, user))
	if c := h.callOf(call); c.From.String() != label(user) || c.From.ID != user {
		t.Fatalf("from %+v (%q), want the label and the full id", c.From, c.From.String())
	}
	h.quiet()
	if n := len(h.srv.Users.Requests()); n != 0 {
		t.Fatalf("%d lookups without --graph-resolve-names", n)
	}
	if h.p.names.queue != nil {
		t.Fatal("name workers started without --graph-resolve-names")
	}
}

func TestResolveNamesNeedsTheAppToken(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	_, err := New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", ClientID: srv.Options.ClientID,
		Tenant: srv.Options.Tenant, APIBase: srv.APIBase, OpenIDConfig: srv.OpenIDConfig, ResolveNames: true},
		providers.Options{Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "--graph-resolve-names needs the app token") {
		t.Fatalf("got %v, want the flag refused without a client secret", err)
	}
}

// A flood of callers with distinct ids while the directory is slow: every
// call rings at once (lookups never hold the notifications up), the excess
// is dropped and counted, and the cache stays within its size.
func TestCallerNameFloodDoesNotBlockIngest(t *testing.T) {
	const (
		queue   = 4
		workers = 2
		size    = 16
		calls   = 200
	)
	h := newHarness(t, resolving(func(p *Provider) {
		p.names.queueSize, p.names.workers, p.names.cacheSize = queue, workers, size
	}))
	release := h.srv.Users.Hold()
	t.Cleanup(release)
	users := make(map[string]string, calls) // call → user
	for range calls {
		call, user := graphtest.NewCallID(), newUserID()
		users[call] = user
		h.srv.Users.Add(user, "Name of "+user[:8])
		h.post(ringingFrom(call, user))
	}
	for range calls {
		c := h.call()
		if users[c.ID] == "" || c.From.Name != "" || c.Version != 1 {
			t.Fatalf("while the directory is held: %+v, want each new call ringing with its label", c)
		}
	}
	// The queue and one lookup per worker are taken while the directory
	// is held; once in a few hundred full-suite runs a worker took one
	// more, so each may have one in hand and one just taken.
	if d := h.p.names.dropped.Load(); d < calls-queue-2*workers {
		t.Fatalf("%d lookups dropped, want at least %d:\n%s", d, calls-queue-2*workers, h.logs)
	}
	if !h.logContains("too many callers' names to look up at once") {
		t.Fatalf("dropping is not logged:\n%s", h.logs)
	}

	// Once the directory answers, the queued lookups end, each with a name
	// for its call as a later snapshot; nothing else follows.
	h.quiet() // every call's ids have been handed over (or dropped)
	release()
	h.settled()
	answered := len(h.srv.Users.Requests())
	if answered == 0 || answered > queue+workers {
		t.Fatalf("%d lookups, want the queued ones (1 to %d)", answered, queue+workers)
	}
	for range answered {
		c := h.call()
		if c.From.Name != "Name of "+users[c.ID][:8] || c.Version != 2 {
			t.Fatalf("call %s version %d: from %+v, want its own caller's name", c.ID, c.Version, c.From)
		}
	}
	h.quiet()
	if n := h.p.names.cacheLen(); n > size {
		t.Fatalf("%d names cached, want at most %d", n, size)
	}
}

func TestCallerNameCacheStaysBounded(t *testing.T) {
	const size = 8
	h := newHarness(t, resolving(func(p *Provider) { p.names.cacheSize = size }))
	var first string
	for i := range 3 * size {
		call, user := graphtest.NewCallID(), newUserID()
		if i == 0 {
			first = user
		}
		h.srv.Users.Add(user, fmt.Sprintf("Caller %d", i))
		h.post(ringingFrom(call, user))
		h.callOf(call)
		if c := h.callOf(call); c.From.Name != fmt.Sprintf("Caller %d", i) {
			t.Fatalf("from %+v", c.From)
		}
		if n := h.p.names.cacheLen(); n > size {
			t.Fatalf("%d names cached, want at most %d", n, size)
		}
	}
	// The oldest name was evicted: its caller is looked up again.
	again := graphtest.NewCallID()
	h.post(ringingFrom(again, first))
	if c := h.callOf(again); c.From.Name != "" {
		t.Fatalf("from %+v: the oldest name is still cached", c.From)
	}
	if c := h.callOf(again); c.From.Name != "Caller 0" {
		t.Fatalf("from %+v, want the name looked up again", c.From)
	}
	if n := len(h.srv.Users.Requests()); n != 3*size+1 {
		t.Fatalf("%d lookups, want %d", n, 3*size+1)
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"Adele Vance":                 "Adele Vance",
		"  Adele \t\n Vance ":         "Adele Vance",
		"Adele\x1b]52;c;ZXZpbA==\x07": "Adele",
		"Ad\u202eele\u200b Vance":     "Adele Vance",
		"\u009b2J":                    "",
		strings.Repeat("x", 200):      strings.Repeat("x", nameMaxRunes-1) + "…",
		"\u200b":                      "",
		"Zoë \xff":                    "Zoë \uFFFD",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

// A name found is given to every party that shows the user by a label: a
// recording invite's caller column shows the observed participant, and a
// transferred call's details the transferor, so these are named too, and a
// later notification that names them by id alone keeps the names.
func TestRouteUsersAreNamedToo(t *testing.T) {
	h := newHarness(t, resolving(nil))
	const observed = "8A34A46B-3D17-4ADC-8DCE-DC4E7D572698" // as the corpus sends it
	h.srv.Users.Add(observed, "Megan Bowen")
	transferor, boss := newUserID(), newUserID()
	h.srv.Users.Add(transferor, "Alex Wilber")
	h.srv.Users.Add(boss, "Nestor Wilke")

	h.post(corpusBody(t, "doc-answer-policy-recording.json"))
	invite := h.callWhere(func(c providers.Call) bool { return c.Route.Observed.Name == "Megan Bowen" })
	if invite.Route.Kind != providers.CallRecording || invite.From.Name != "Megan Bowen" || invite.Route.Observed.ID != observed {
		t.Fatalf("recording invite: from %+v observed %+v", invite.From, invite.Route.Observed)
	}

	call := graphtest.NewCallID()
	h.post(incoming(call, `,"incomingContext":{"transferor":{"user":{"id":"`+transferor+`","tenantId":"`+callerTenant+`"}},
		"onBehalfOf":{"user":{"id":"`+boss+`","tenantId":"`+callerTenant+`"}}}`))
	named := h.callWhere(func(c providers.Call) bool {
		return c.ID == call && c.Route.Transferor.Name == "Alex Wilber" && c.Route.OnBehalfOf.Name == "Nestor Wilke"
	})
	if named.Queue != "Nestor Wilke" {
		t.Fatalf("the queue column shows %q, want whom the call is for by name", named.Queue)
	}
	h.post([]byte(`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/` + call + `",
		"resourceData":{"state":"established","incomingContext":{"transferor":{"user":{"id":"` + transferor + `"}},
		"onBehalfOf":{"user":{"id":"` + boss + `"}}}}}]}`))
	later := h.callWhere(func(c providers.Call) bool { return c.ID == call && c.Version > named.Version })
	if later.Route.Transferor.Name != "Alex Wilber" || later.Route.OnBehalfOf.Name != "Nestor Wilke" || later.Queue != "Nestor Wilke" {
		t.Fatalf("a later notification lost the names: %+v queue %q", later.Route, later.Queue)
	}
	h.quiet()
	h.settled()
	if n := len(h.srv.Users.Requests()); n != 3 {
		t.Fatalf("%d lookups, want one for each user (the observed participant is also the source)", n)
	}
}
