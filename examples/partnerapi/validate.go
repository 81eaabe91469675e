package main

import (
	"time"

	"github.com/apikit-go/apikit/problem"
)

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
	required("family_name", c.FamilyName, "Family name is required")
	required("given_name", c.GivenName, "Given name is required")
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
	if len(c.PartnerPatientID) > 128 {
		invalid("partner_patient_id", "Partner patient ID must be at most 128 characters")
	}
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
	switch c.Urgency {
	case "routine", "urgent", "emergency":
	case "":
		errs = append(errs, problem.FieldError{Field: "urgency", Message: "Urgency is required", Code: problem.FieldValidationError})
	default:
		errs = append(errs, problem.FieldError{Field: "urgency", Message: "Urgency must be one of routine, urgent, emergency", Code: problem.FieldInvalidFormat})
	}
	return errs
}
