package genesys

import (
	"fmt"

	"ringside/providers"
)

// statusMeanings words GWS's statusCode values (Return Values page, GWS
// 8.5.2/8.6) for a person. Every GWS reply carries a statusCode; 0 is success
// (for operations: accepted, the outcome arrives later over CometD).
var statusMeanings = map[int]string{
	1:  "a required parameter is missing",
	2:  providers.ErrNotAllowed.Error(),
	3:  "the operation is forbidden",
	4:  "internal error in GWS or the telephony server behind it",
	5:  "the user lacks the permission for this",
	6:  providers.ErrNotFound.Error(),
	7:  "only partly done",
	8:  "the password must be changed first",
	9:  "processing is not complete",
	10: "a value is out of range",
	11: "a read-only property cannot be changed",
	12: "unable to retrieve the resource",
	13: "unable to create the resource",
	14: "unable to delete the resource",
	15: "unable to update the resource",
	16: "unable to assign the resource",
	17: "unable to unassign the resource",
	18: "the resource already exists",
	19: "the resource is already in use",
	20: "the user is not authenticated",
}

// Status codes the provider acts on.
const (
	statusOK              = 0
	statusNotAllowed      = 2
	statusNotFound        = 6
	statusNotAuthenticate = 20
)

// StatusError is a non-zero statusCode from GWS: the request was refused and,
// as GWS guarantees, changed nothing. It unwraps to providers.ErrNotAllowed
// (code 2) or providers.ErrNotFound (code 6) where those apply, and always to
// a *providers.RefusedError carrying GWS's own words.
type StatusError struct {
	Code       int    // GWS statusCode
	Message    string // GWS statusMessage, may be empty
	HTTPStatus int    // the HTTP status it came with
}

func (e *StatusError) Error() string {
	meaning, ok := statusMeanings[e.Code]
	if !ok {
		meaning = "refused by GWS"
	}
	detail := fmt.Sprintf("GWS statusCode %d", e.Code)
	if e.Message != "" {
		detail += ": " + e.Message
	}
	return meaning + " (" + detail + ")"
}

// Unwrap exposes the contract's sentinel errors and the refusal itself.
func (e *StatusError) Unwrap() []error {
	refused := &providers.RefusedError{Status: e.HTTPStatus, Code: fmt.Sprintf("statusCode %d", e.Code), Message: e.Message}
	switch e.Code {
	case statusNotAllowed:
		return []error{providers.ErrNotAllowed, refused}
	case statusNotFound:
		return []error{providers.ErrNotFound, refused}
	}
	return []error{refused}
}
