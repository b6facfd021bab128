package demo

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"ringside/providers"
)

// The cast of the simulation: who calls, through which queue, from where.
// Every phone number comes from a range its national regulator keeps for
// fiction and examples, so a demo never shows a real subscriber's number.

// region is a media region as a supervisor groups calls.
type region struct {
	name   string
	weight int
	users  []string // Teams users in the region
	guests []string // federated or guest callers
	phones []numberPlan
}

func (r region) weightOf() int { return r.weight }

// numberPlan makes E.164 numbers of one fictional range: prefix followed by
// digits random digits, or one of fixed suffixes where the range is a list.
type numberPlan struct {
	prefix string
	digits int
	fixed  []string
}

func (n numberPlan) draw(r *rand.Rand) string {
	if len(n.fixed) > 0 {
		return n.prefix + n.fixed[r.IntN(len(n.fixed))]
	}
	var b strings.Builder
	b.Grow(len(n.prefix) + n.digits)
	b.WriteString(n.prefix)
	for range n.digits {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}

var regions = []region{
	{
		name: "amer", weight: 45,
		users: []string{
			"Maria Gonzalez", "James Carter", "Aisha Thompson", "Daniel Kim", "Olivia Nguyen",
			"Marcus Johnson", "Sofia Ramirez", "Ethan Brooks", "Camila Souza", "Noah Patel",
			"Grace Lee", "Lucas Martin",
		},
		guests: []string{"Rebecca Stone (Fabrikam)", "Tom Whitaker (Guest)", "Ana Ribeiro (Northwind)"},
		phones: []numberPlan{
			// NANP: 555-0100 to 555-0199 is fictional in every area code.
			{prefix: "+1212555010", digits: 1}, {prefix: "+1312555011", digits: 1},
			{prefix: "+1415555012", digits: 1}, {prefix: "+1617555013", digits: 1},
			{prefix: "+1206555014", digits: 1}, {prefix: "+1512555015", digits: 1},
			{prefix: "+1416555016", digits: 1}, {prefix: "+1604555017", digits: 1},
			{prefix: "+1514555018", digits: 1}, {prefix: "+1303555019", digits: 1},
		},
	},
	{
		name: "emea", weight: 35,
		users: []string{
			"Sophie Laurent", "Oliver Bennett", "Lena Fischer", "Mateo Rossi", "Amara Okafor",
			"Henrik Johansson", "Chloé Dubois", "Yusuf Demir", "Isla MacLeod", "Pieter de Vries",
			"Fatima Haddad", "Nikolai Petrov",
		},
		guests: []string{"Julia Novak (Guest)", "Samuel Adeyemi (Contoso Partner)", "Marta Kowalska (Fabrikam)"},
		phones: []numberPlan{
			// Ofcom drama ranges: London 020 7946 0xxx, mobile 07700 900xxx.
			{prefix: "+4420794600", digits: 2}, {prefix: "+447700900", digits: 3},
			// ARCEP fiction ranges: 01 99 00 xx xx and 06 39 98 xx xx.
			{prefix: "+3319900", digits: 4}, {prefix: "+3363998", digits: 4},
		},
	},
	{
		name: "apac", weight: 20,
		users: []string{
			"Haruto Sato", "Mei Lin", "Arjun Sharma", "Chloe Wilson", "Minh Tran", "Ji-woo Park",
			"Priya Nair", "Liam O'Connor", "Siti Rahman", "Kenji Watanabe",
		},
		guests: []string{"Hiroshi Tanaka (Guest)", "Ananya Iyer (Northwind)"},
		phones: []numberPlan{
			// ACMA fiction ranges: 02 5550 xxxx, 03 7010 xxxx and listed mobiles.
			{prefix: "+61255500", digits: 3}, {prefix: "+61370100", digits: 3},
			{prefix: "+61491570", fixed: []string{"006", "156", "157", "158", "159", "110"}},
		},
	},
}

var regionWeightSum = totalWeight(regions)

func drawRegion(r *rand.Rand) *region {
	return &regions[weightedIndex(regions, r.IntN(regionWeightSum))]
}

// callerIDNames are what a PSTN caller's line presents, when it presents a name
// at all (most do not).
var callerIDNames = []string{
	"Wireless Caller", "Northwind Traders", "Fabrikam Inc", "Tailspin Toys", "Adatum Corp",
	"Woodgrove Bank", "Litware", "Margie's Travel", "City of Redmond", "Private",
}

// queue is a call queue calls are routed through. Queue-routed calls can be
// rejected: the queue offers them to the next agent.
type queue struct {
	name   string
	id     string // the queue's resource account, as Teams identifies it
	weight int
}

func (q queue) weightOf() int { return q.weight }

var queues = []queue{
	{"Support", "6f1c2a4e-9d3b-4c8a-b1e7-2a5d8c0f4b61", 5},
	{"Sales", "0b7e4d92-3c1f-4e6a-8d25-9f3a7c1e5b08", 3},
	{"Billing", "a4d8e1c7-5b2f-4093-9e6c-1d7b3f8a2c45", 2},
	{"IT Helpdesk", "3e9b6f15-7a4c-4d28-b0e3-8c2f5a9d1e76", 2},
	{"Returns", "c85a3d07-1e6b-4f9c-a2d4-7b0e9c3f6a18", 1},
	{"Onboarding", "9d2f7b34-6c8e-4a15-b3f9-0e4a6d2c8b57", 1},
}

var queueWeightSum = totalWeight(queues)

func drawQueue(r *rand.Rand) *queue {
	return &queues[weightedIndex(queues, r.IntN(queueWeightSum))]
}

// Agent is the console's own user in the simulation: direct calls are placed
// to this person.
var Agent = providers.Party{Name: "Alex Morgan", ID: "5a3e7c19-2b84-4f6d-9c01-8e2d4b7a6f35", Kind: providers.KindUser}

// Modality sets. PSTN calls carry audio only; Teams calls may add video and,
// now and then, a screen share.
var (
	modAudio       = []string{"audio"}
	modAudioVideo  = []string{"audio", "video"}
	modScreenShare = []string{"audio", "videoBasedScreenSharing"}
)

func drawModalities(r *rand.Rand, phone bool) []string {
	u := r.Float64()
	switch {
	case phone || u < 0.65:
		return modAudio
	case u < 0.92:
		return modAudioVideo
	}
	return modScreenShare
}

// newGUID draws a lower-case version-4 GUID, the shape Teams gives call and
// object ids.
func newGUID(r *rand.Rand) string {
	b := guidBytes(r)
	return string(b[:])
}

// guidBytes is newGUID's text.
func guidBytes(r *rand.Rand) [36]byte {
	hi, lo := r.Uint64(), r.Uint64()
	hi = hi&^(0xf<<12) | 0x4<<12 // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // RFC 4122 variant
	var b [36]byte
	const hexd = "0123456789abcdef"
	put := func(pos int, v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			b[pos+i] = hexd[v&0xf]
			v >>= 4
		}
	}
	put(0, hi>>32, 8)
	b[8] = '-'
	put(9, hi>>16, 4)
	b[13] = '-'
	put(14, hi, 4)
	b[18] = '-'
	put(19, lo>>48, 4)
	b[23] = '-'
	put(24, lo, 12)
	return b
}

// idArena holds the text of many call ids in one allocation: an id alone
// would take a 48-byte block for its 36 bytes. The ids are strings over the
// arena's current chunk, which a strings.Builder only ever appends to, so
// they never change; a chunk is freed once no id in it is held any more.
type idArena struct {
	chunk strings.Builder
}

// idsPerChunk is how many ids share an allocation.
const idsPerChunk = 1024

// newID is a new call id drawn from r, as newGUID draws it.
func (a *idArena) newID(r *rand.Rand) string {
	b := guidBytes(r)
	if a.chunk.Cap()-a.chunk.Len() < len(b) {
		a.chunk = strings.Builder{}
		a.chunk.Grow(idsPerChunk * len(b))
	}
	at := a.chunk.Len()
	a.chunk.Write(b[:])
	return a.chunk.String()[at : at+len(b)]
}

// userIDs gives every named Teams user and guest a stable object id, so the
// same person keeps the same id across calls and runs.
var userIDs = func() map[string]string {
	ids := make(map[string]string)
	for _, rg := range regions {
		for _, name := range append(slices.Clone(rg.users), rg.guests...) {
			h := uint64(14695981039346656037) // FNV-1a of the name
			for i := 0; i < len(name); i++ {
				h ^= uint64(name[i])
				h *= 1099511628211
			}
			ids[name] = newGUID(rand.New(rand.NewPCG(h, h^0x9e3779b97f4a7c15)))
		}
	}
	return ids
}()

// formatRate writes a calls-per-minute rate without needless decimals.
func formatRate(rate float64) string {
	return strconv.FormatFloat(rate, 'f', -1, 64) + "/min"
}
