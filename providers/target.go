package providers

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"ringside/providers/textsafe"
)

// TargetKind says what a transfer or redirect target is.
type TargetKind string

const (
	// TargetUser is a person: a Teams user (by directory object id) and/or
	// an agent's number on the contact centre's switch.
	TargetUser TargetKind = "user"
	// TargetPhone is a number dialled as it is: an E.164 number, or a dial
	// string of the contact centre's switch (an extension).
	TargetPhone TargetKind = "phone"
	// TargetQueue is a call queue or routing point: on Teams, the resource
	// account (application instance) in front of the queue; on Genesys, the
	// queue's number.
	TargetQueue TargetKind = "queue"
	// TargetApplication is a Teams application, such as another bot.
	TargetApplication TargetKind = "application"
)

// TargetKinds lists the kinds in the order the directory documents them.
var TargetKinds = []TargetKind{TargetUser, TargetPhone, TargetQueue, TargetApplication}

// Limits on a target's fields. A name fits a picker row; E.164 numbers
// have at most 15 digits; a switch's dial string is rarely longer than 20.
const (
	MaxTargetName    = 80
	MaxGenesysNumber = 32
)

// ErrBadTarget is wrapped by every error Validate and ParseTarget return.
var ErrBadTarget = errors.New("not a valid target")

// Target is where a call is transferred or redirected to. One target can
// carry the address each provider needs, so one directory serves both:
//
//   - GraphID is the Microsoft Entra object id of a Teams user (kind user)
//     or the id of an application / a queue's resource account (kinds
//     application and queue), a GUID. GraphTenantID is the tenant that id
//     lives in (optional; Graph is sent it in the identity when given).
//   - Phone is an E.164 number ("+" and 8 to 15 digits). Graph reaches it
//     as a phone identity (only from a call that came in on an application
//     instance with a number); Genesys dials it when GenesysNumber is empty.
//   - GenesysNumber is what the Genesys switch dials: digits, with "*", "#"
//     and a leading "+" allowed (an agent's DN, a queue's routing point).
//
// A single GraphID field (rather than one per Graph identity kind) is
// enough because Kind already says which identity the id stands for.
type Target struct {
	Name          string // what a person reads: a directory name or the number typed
	Kind          TargetKind
	GraphID       string
	GraphTenantID string
	Phone         string
	GenesysNumber string
}

// String is the target as the status line and end reasons show it.
func (t Target) String() string {
	if t.Name != "" {
		return t.Name
	}
	for _, s := range []string{t.Phone, t.GenesysNumber, t.GraphID} {
		if s != "" {
			return s
		}
	}
	return "no target"
}

// Validate checks the target's fields and that its kind has an address.
// Errors name the field and what is wrong with it.
func (t Target) Validate() error {
	if err := checkTargetName(t.Name); err != nil {
		return err
	}
	if t.GraphID != "" && !IsGUID(t.GraphID) {
		return fmt.Errorf("%w: Teams id %q is not a GUID (such as 3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f)", ErrBadTarget, cut(t.GraphID))
	}
	if t.GraphTenantID != "" {
		if !IsGUID(t.GraphTenantID) {
			return fmt.Errorf("%w: tenant id %q is not a GUID", ErrBadTarget, cut(t.GraphTenantID))
		}
		if t.GraphID == "" {
			return fmt.Errorf("%w: a tenant id without a Teams id", ErrBadTarget)
		}
	}
	if t.Phone != "" {
		if err := CheckE164(t.Phone); err != nil {
			return err
		}
	}
	if t.GenesysNumber != "" {
		if err := CheckGenesysNumber(t.GenesysNumber); err != nil {
			return err
		}
	}
	switch t.Kind {
	case TargetUser, TargetQueue:
		if t.GraphID == "" && t.Phone == "" && t.GenesysNumber == "" {
			return fmt.Errorf("%w: %s %q has no Teams id, phone number or Genesys number", ErrBadTarget, t.Kind, cut(t.Name))
		}
	case TargetPhone:
		if t.GraphID != "" {
			return fmt.Errorf("%w: a phone target has a number, not a Teams id", ErrBadTarget)
		}
		if t.Phone == "" && t.GenesysNumber == "" {
			return fmt.Errorf("%w: phone target %q has no number", ErrBadTarget, cut(t.Name))
		}
	case TargetApplication:
		if t.GraphID == "" {
			return fmt.Errorf("%w: application %q has no Teams application id", ErrBadTarget, cut(t.Name))
		}
	default:
		return fmt.Errorf("%w: kind %q (want %s)", ErrBadTarget, cut(string(t.Kind)), kindList())
	}
	return nil
}

// ParseTarget reads what a person typed in place of a directory name:
//
//   - "+44 20 7946 0000": an E.164 number (spaces, dashes, dots and
//     brackets between the digits are dropped) → a phone target;
//   - "5002", "*77#": a number for the Genesys switch → a phone target
//     with only GenesysNumber;
//   - a GUID: a Teams user by object id.
//
// The target's Name is the text as typed, trimmed.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Target{}, fmt.Errorf("%w: it is empty", ErrBadTarget)
	case len(s) > MaxTargetName:
		return Target{}, fmt.Errorf("%w: longer than %d characters", ErrBadTarget, MaxTargetName)
	case IsGUID(s):
		return Target{Name: s, Kind: TargetUser, GraphID: strings.ToLower(s)}, nil
	}
	number := stripDialSeparators(s)
	if strings.HasPrefix(number, "+") {
		if err := CheckE164(number); err != nil {
			return Target{}, err
		}
		return Target{Name: s, Kind: TargetPhone, Phone: number}, nil
	}
	if number != "" && strings.Trim(number, "0123456789*#") == "" {
		if err := CheckGenesysNumber(number); err != nil {
			return Target{}, err
		}
		return Target{Name: s, Kind: TargetPhone, GenesysNumber: number}, nil
	}
	return Target{}, fmt.Errorf("%w: %q is neither a number (+ and digits, or digits * #) nor a Teams user id", ErrBadTarget, cut(s))
}

// stripDialSeparators drops what people put between digits for reading:
// spaces, '-', '.', '(' and ')'. Anything else is kept, for the checks to
// refuse.
func stripDialSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, s)
}

// CheckE164 accepts an E.164 number: "+", then 8 to 15 digits, the first
// not 0 (a country code never starts with 0).
func CheckE164(s string) error {
	digits, ok := strings.CutPrefix(s, "+")
	if !ok {
		return fmt.Errorf("%w: phone number %q must start with + and the country code", ErrBadTarget, cut(s))
	}
	if len(digits) < 8 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
		return fmt.Errorf("%w: phone number %q must be + and 8 to 15 digits", ErrBadTarget, cut(s))
	}
	if digits[0] == '0' {
		return fmt.Errorf("%w: phone number %q: a country code does not start with 0", ErrBadTarget, cut(s))
	}
	return nil
}

// CheckGenesysNumber accepts what a Genesys switch dials: 1 to
// MaxGenesysNumber characters of digits, '*' and '#', with an optional
// leading '+', and at least one digit.
func CheckGenesysNumber(s string) error {
	body := strings.TrimPrefix(s, "+")
	switch {
	case len(s) > MaxGenesysNumber:
		return fmt.Errorf("%w: Genesys number %q is longer than %d characters", ErrBadTarget, cut(s), MaxGenesysNumber)
	case body == "" || strings.Trim(body, "0123456789*#") != "":
		return fmt.Errorf("%w: Genesys number %q may hold only digits, * and # (and a leading +)", ErrBadTarget, cut(s))
	case strings.Trim(body, "*#") == "":
		return fmt.Errorf("%w: Genesys number %q has no digit", ErrBadTarget, cut(s))
	}
	return nil
}

// checkTargetName refuses names a picker cannot show as they are: empty,
// too long, or with control, escape or invisible characters.
func checkTargetName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%w: the name is empty", ErrBadTarget)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: the name is not valid UTF-8", ErrBadTarget)
	case utf8.RuneCountInString(name) > MaxTargetName:
		return fmt.Errorf("%w: the name is longer than %d characters", ErrBadTarget, MaxTargetName)
	case name != strings.TrimSpace(name):
		return fmt.Errorf("%w: the name %q has spaces around it", ErrBadTarget, name)
	case textsafe.Clean(name) != name:
		return fmt.Errorf("%w: the name %q has control or invisible characters", ErrBadTarget, textsafe.Clean(name))
	}
	return nil
}

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 form, as Entra writes
// object and tenant ids (either case).
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return true
}

func kindList() string {
	names := make([]string, len(TargetKinds))
	for i, k := range TargetKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// cut makes a piece of bad input safe and short enough to quote in an error.
func cut(s string) string { return textsafe.Cut(textsafe.Clean(s), 40) }
