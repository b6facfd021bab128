package providers

import (
	"errors"
	"strings"
	"testing"
)

const (
	userGUID   = "550fae72-d251-43ec-868c-373732c2704f"
	tenantGUID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

func TestParseTargetNumbers(t *testing.T) {
	cases := []struct {
		in   string
		want Target
	}{
		{"+442079460000", Target{Name: "+442079460000", Kind: TargetPhone, Phone: "+442079460000"}},
		{"  +44 20 7946-0000 ", Target{Name: "+44 20 7946-0000", Kind: TargetPhone, Phone: "+442079460000"}},
		{"+1 (425) 555.0100", Target{Name: "+1 (425) 555.0100", Kind: TargetPhone, Phone: "+14255550100"}},
		{"5002", Target{Name: "5002", Kind: TargetPhone, GenesysNumber: "5002"}},
		{"*77#", Target{Name: "*77#", Kind: TargetPhone, GenesysNumber: "*77#"}},
		{strings.ToUpper(userGUID), Target{Name: strings.ToUpper(userGUID), Kind: TargetUser, GraphID: userGUID}},
	}
	for _, c := range cases {
		got, err := ParseTarget(c.in)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", c.in, got, c.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("ParseTarget(%q) gave a target Validate refuses: %v", c.in, err)
		}
	}
}

func TestParseTargetRefuses(t *testing.T) {
	cases := map[string]string{
		"":                                    "empty",
		"   ":                                 "empty",
		"+4420":                               "8 to 15 digits",
		"+1234567890123456":                   "8 to 15 digits",
		"+0441234567":                         "does not start with 0",
		"+44 20 79x6 0000":                    "8 to 15 digits",
		"Sales desk":                          "neither a number",
		"12345678901234567890123456789012345": "longer than 32",
		"**#":                                 "no digit",
		"5002\x1b[2J":                         "neither a number",
		strings.Repeat("1", 81):               "longer than 80",
	}
	for in, want := range cases {
		_, err := ParseTarget(in)
		if err == nil {
			t.Errorf("ParseTarget(%q) accepted", in)
			continue
		}
		if !errors.Is(err, ErrBadTarget) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTarget(%q) = %v, want an ErrBadTarget saying %q", in, err, want)
		}
		if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("ParseTarget(%q): the error quotes an escape sequence", in)
		}
	}
}

func TestTargetValidate(t *testing.T) {
	good := []Target{
		{Name: "Ana Ribeiro", Kind: TargetUser, GraphID: userGUID, GraphTenantID: tenantGUID, GenesysNumber: "5002"},
		{Name: "Agent 5003", Kind: TargetUser, GenesysNumber: "5003"},
		{Name: "Reception", Kind: TargetPhone, Phone: "+14255550100", GenesysNumber: "914255550100"},
		{Name: "Sales queue", Kind: TargetQueue, GraphID: userGUID, GenesysNumber: "9000"},
		{Name: "IVR bot", Kind: TargetApplication, GraphID: userGUID},
	}
	for _, tg := range good {
		if err := tg.Validate(); err != nil {
			t.Errorf("%+v: %v", tg, err)
		}
	}
	bad := []struct {
		t    Target
		want string
	}{
		{Target{Kind: TargetUser, GraphID: userGUID}, "name is empty"},
		{Target{Name: " Ana", Kind: TargetUser, GraphID: userGUID}, "spaces around"},
		{Target{Name: "Ana\tR", Kind: TargetUser, GraphID: userGUID}, "control or invisible"},
		{Target{Name: "Ana\u202eR", Kind: TargetUser, GraphID: userGUID}, "control or invisible"},
		{Target{Name: strings.Repeat("é", 81), Kind: TargetUser, GraphID: userGUID}, "longer than 80"},
		{Target{Name: "Ana", Kind: TargetUser, GraphID: "550fae72d25143ec868c373732c2704f"}, "not a GUID"},
		{Target{Name: "Ana", Kind: TargetUser, GraphID: userGUID, GraphTenantID: "contoso.com"}, "tenant id"},
		{Target{Name: "Ana", Kind: TargetUser, GraphTenantID: tenantGUID, GenesysNumber: "5002"}, "tenant id without"},
		{Target{Name: "Ana", Kind: TargetUser}, "has no Teams id, phone number or Genesys number"},
		{Target{Name: "Desk", Kind: TargetPhone}, "has no number"},
		{Target{Name: "Desk", Kind: TargetPhone, GraphID: userGUID}, "not a Teams id"},
		{Target{Name: "Desk", Kind: TargetPhone, Phone: "442079460000"}, "must start with +"},
		{Target{Name: "Desk", Kind: TargetPhone, GenesysNumber: "50-02"}, "only digits"},
		{Target{Name: "Bot", Kind: TargetApplication, GenesysNumber: "5002"}, "no Teams application id"},
		{Target{Name: "X", Kind: "room", GraphID: userGUID}, `kind "room"`},
		{Target{Name: "X", GraphID: userGUID}, `kind ""`},
	}
	for _, c := range bad {
		err := c.t.Validate()
		if err == nil || !errors.Is(err, ErrBadTarget) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an ErrBadTarget saying %q", c.t, err, c.want)
		}
	}
}

// Which address a provider sends a target to is the provider's rule
// (Provider.Address, tested in each provider); the contract only names it.
func TestTargetString(t *testing.T) {
	e164 := Target{Name: "Paris", Kind: TargetPhone, Phone: "+33155550123"}
	if e164.String() != "Paris" || (Target{Phone: "+33155550123"}).String() != "+33155550123" {
		t.Fatal("String")
	}
}
