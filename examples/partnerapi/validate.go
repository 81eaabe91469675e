package main

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apikit-go/apikit/problem"
)

// The longest value of each free-text field, in characters. The demo keeps
// what it accepts in memory, so every string it stores or echoes is
// bounded; a longer one is a validation failure naming the field.
const (
	maxNameLen         = 100 // family_name, given_name
	maxPartnerIDLen    = 128 // partner_patient_id
	maxIDLen           = 64  // patient_id in referrals and prescriptions
	maxReasonLen       = 1000
	maxMedicationLen   = 200
	maxInstructionsLen = 1000
	maxRequestIDLen    = 128 // metadata.requestID, echoed in every ack
	maxTimestampLen    = 64  // metadata.requestTimestamp, responseTimestamp
)

// tooLong returns the validation error of a field longer than max
// characters, or nil. label starts the message ("Family name").
func tooLong(field, label, value string, max int) *problem.FieldError {
	if len(value) <= max || utf8.RuneCountInString(value) <= max {
		return nil
	}
	return &problem.FieldError{Field: field, Message: label + " must be at most " + strconv.Itoa(max) + " characters", Code: problem.FieldInvalidFormat}
}

// appendTooLong appends the errors of the fields that are too long.
func appendTooLong(errs []problem.FieldError, checks ...*problem.FieldError) []problem.FieldError {
	for _, e := range checks {
		if e != nil {
			errs = append(errs, *e)
		}
	}
	return errs
}

// createPatientRequest is the body of POST /api/v1/patients.
type createPatientRequest struct {
	FamilyName       string `json:"family_name"`
	GivenName        string `json:"given_name"`
	DateOfBirth      string `json:"date_of_birth"`
	Sex              string `json:"sex"`
	PartnerPatientID string `json:"partner_patient_id"`
	IHINumber        string `json:"ihi_number"`
	MedicareNumber   string `json:"medicare_number"`
}

// validate checks the request against the API's rules: missing fields are
// VALIDATION_ERROR entries, malformed ones INVALID_FORMAT entries. Messages
// never repeat the submitted values.
func (c createPatientRequest) validate(today time.Time) []problem.FieldError {
	var errs []problem.FieldError
	required := func(field, value, message string) bool {
		if value == "" {
			errs = append(errs, problem.FieldError{Field: field, Message: message, Code: problem.FieldValidationError})
			return false
		}
		return true
	}
	invalid := func(field, message string) {
		errs = append(errs, problem.FieldError{Field: field, Message: message, Code: problem.FieldInvalidFormat})
	}
	if required("family_name", c.FamilyName, "Family name is required") {
		errs = appendTooLong(errs, tooLong("family_name", "Family name", c.FamilyName, maxNameLen))
	}
	if required("given_name", c.GivenName, "Given name is required") {
		errs = appendTooLong(errs, tooLong("given_name", "Given name", c.GivenName, maxNameLen))
	}
	if required("date_of_birth", c.DateOfBirth, "Date of birth is required") {
		dob, err := time.Parse(time.DateOnly, c.DateOfBirth)
		switch {
		case err != nil || len(c.DateOfBirth) != len(time.DateOnly):
			invalid("date_of_birth", "Invalid date format. Use YYYY-MM-DD")
		case dob.After(today):
			invalid("date_of_birth", "Date of birth cannot be in the future")
		}
	}
	if required("sex", c.Sex, "Sex is required") {
		switch c.Sex {
		case "M", "F", "X", "U":
		default:
			invalid("sex", "Sex must be one of M, F, X, U")
		}
	}
	errs = appendTooLong(errs, tooLong("partner_patient_id", "Partner patient ID", c.PartnerPatientID, maxPartnerIDLen))
	if c.IHINumber != "" && !digits(c.IHINumber, 16) {
		invalid("ihi_number", "IHI number must be 16 digits")
	}
	if c.MedicareNumber != "" && !digits(c.MedicareNumber, 10) {
		invalid("medicare_number", "Medicare number must be 10 digits")
	}
	return errs
}

// digits reports whether s is exactly n ASCII digits.
func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// createReferralRequest is the body of POST /functions/v1/referrals.
type createReferralRequest struct {
	PatientID string `json:"patient_id"`
	Reason    string `json:"reason"`
	Urgency   string `json:"urgency"`
}

func (c createReferralRequest) validate() []problem.FieldError {
	var errs []problem.FieldError
	if c.PatientID == "" {
		errs = append(errs, problem.FieldError{Field: "patient_id", Message: "Patient ID is required", Code: problem.FieldValidationError})
	}
	if c.Reason == "" {
		errs = append(errs, problem.FieldError{Field: "reason", Message: "Reason is required", Code: problem.FieldValidationError})
	}
	errs = appendTooLong(errs,
		tooLong("patient_id", "Patient ID", c.PatientID, maxIDLen),
		tooLong("reason", "Reason", c.Reason, maxReasonLen))
	switch c.Urgency {
	case "routine", "urgent", "emergency":
	case "":
		errs = append(errs, problem.FieldError{Field: "urgency", Message: "Urgency is required", Code: problem.FieldValidationError})
	default:
		errs = append(errs, problem.FieldError{Field: "urgency", Message: "Urgency must be one of routine, urgent, emergency", Code: problem.FieldInvalidFormat})
	}
	return errs
}
