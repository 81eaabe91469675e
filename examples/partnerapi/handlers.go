package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
)

// Domain problems of the referrals API (seeds/004's referrals/* class).
var (
	// The problem types of seeds/001's patient API, with its type slugs.
	PatientNotFound          = problem.MustDefine("patients/not-found", http.StatusNotFound, "Patient not found", problem.WithType("patient-not-found"))
	PartnerPatientIDConflict = problem.MustDefine("patients/partner-patient-id-conflict", http.StatusConflict, "Partner patient ID conflict", problem.WithType("partner-patient-id-conflict"))

	UnknownPatient      = problem.MustDefine("referrals/unknown-patient", http.StatusUnprocessableEntity, "Unknown patient")
	ReferralNotFound    = problem.MustDefine("referrals/not-found", http.StatusNotFound, "Referral not found")
	InvalidPrescription = problem.MustDefine("prescriptions/invalid", http.StatusUnprocessableEntity, "Invalid prescription")
	// A partner that keeps as many patients (referrals) as the demo holds
	// per partner must delete some first: 409, a conflict with the state
	// of its collection that the caller can resolve, not a server failure.
	PatientLimitReached  = problem.MustDefine("patients/limit-reached", http.StatusConflict, "Patient limit reached")
	ReferralLimitReached = problem.MustDefine("referrals/limit-reached", http.StatusConflict, "Referral limit reached")
	PartnerLimitReached  = problem.MustDefine("partners/limit-reached", http.StatusConflict, "Partner limit reached")
)

// createdPatient is the data of a 201 from POST /api/v1/patients. URL is
// the patient's address under -base-url, or relative without it: never
// built from the request's Host header, which the caller controls.
type createdPatient struct {
	PatientID        string `json:"patient_id"`
	PartnerPatientID string `json:"partner_patient_id"`
	URL              string `json:"url"`
}

// patientCreated is the message of a 201 from POST /api/v1/patients, made
// once rather than per request.
var patientCreated = envelope.WithMessage("Patient created successfully")

// POST /api/v1/patients
func (s *server) createPatient(w http.ResponseWriter, r *http.Request) {
	in, err := envelope.Decode[createPatientRequest](r)
	if err != nil {
		s.std.WriteError(w, r, err) // 400 malformed, 413 too large, 415, 422 wrong types
		return
	}
	if errs := in.validate(s.now()); len(errs) > 0 {
		s.std.WriteError(w, r, problem.ValidationFailed.New("There were some problems with your input.").WithFields(errs...))
		return
	}
	p, err := s.store.createPatient(partnerOf(r.Context()), Patient{
		FamilyName: in.FamilyName, GivenName: in.GivenName, DateOfBirth: in.DateOfBirth, Sex: in.Sex,
		IHINumber: in.IHINumber, MedicareNumber: in.MedicareNumber, PartnerPatientID: in.PartnerPatientID,
	}, s.now())
	if errors.Is(err, errPartnerIDConflict) {
		s.std.WriteError(w, r, PartnerPatientIDConflict.Newf(
			"Partner patient ID '%s' is already in use by another patient. Please use a unique identifier.", in.PartnerPatientID))
		return
	}
	if errors.Is(err, errPatientLimit) {
		s.std.WriteError(w, r, PatientLimitReached.Newf(
			"This partner already has %d patients, the most this API keeps; delete some before creating more.", s.store.maxPatients).
			WithExtension("limit", s.store.maxPatients))
		return
	}
	if errors.Is(err, errPartnerLimit) {
		s.std.WriteError(w, r, PartnerLimitReached.Newf(
			"This API keeps data for %d partners, the most it serves at a time; this partner has none yet.", s.store.maxPartners).
			WithExtension("limit", s.store.maxPartners))
		return
	}
	if err != nil {
		s.std.WriteError(w, r, err)
		return
	}
	location := "/api/v1/patients/" + p.PatientID
	s.std.Created(w, r, location, createdPatient{
		PatientID: p.PatientID, PartnerPatientID: p.PartnerPatientID, URL: s.baseURL + location,
	}, patientCreated)
}

// GET /api/v1/patients/{id}
func (s *server) getPatient(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, err := s.store.patient(partnerOf(r.Context()), id)
	if errors.Is(err, errNotFound) {
		s.std.WriteError(w, r, PatientNotFound.Newf("Patient with ID '%s' does not exist", id).WithInstance(r.URL.Path))
		return
	}
	if err != nil {
		s.std.WriteError(w, r, err)
		return
	}
	s.std.OK(w, r, p)
}

// DELETE /api/v1/patients/{id}
func (s *server) deletePatient(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.store.deletePatient(partnerOf(r.Context()), id); errors.Is(err, errNotFound) {
		s.std.WriteError(w, r, PatientNotFound.Newf("Patient with ID '%s' does not exist", id).WithInstance(r.URL.Path))
		return
	}
	s.std.Write(w, r, http.StatusNoContent, nil)
}

// POST /functions/v1/referrals
func (s *server) createReferral(w http.ResponseWriter, r *http.Request) {
	in, err := envelope.Decode[createReferralRequest](r)
	if err != nil {
		s.meta.WriteError(w, r, err)
		return
	}
	if errs := in.validate(); len(errs) > 0 {
		s.meta.WriteError(w, r, problem.ValidationFailed.New("The referral failed validation").WithFields(errs...))
		return
	}
	ref, err := s.store.createReferral(partnerOf(r.Context()), Referral{
		PatientID: in.PatientID, Status: "received", Reason: in.Reason, Urgency: in.Urgency, ReceivedAt: s.now().UTC().Truncate(time.Millisecond),
	})
	if errors.Is(err, errNotFound) {
		s.meta.WriteError(w, r, UnknownPatient.Newf("Patient '%s' does not exist", in.PatientID).
			WithExtension("patientId", in.PatientID))
		return
	}
	if errors.Is(err, errReferralLimit) {
		s.meta.WriteError(w, r, ReferralLimitReached.Newf(
			"This partner already has %d referrals, the most this API keeps.", s.store.maxReferrals).
			WithExtension("limit", s.store.maxReferrals))
		return
	}
	if err != nil {
		s.meta.WriteError(w, r, err)
		return
	}
	if s.hooks.referrals != nil {
		// -webhook-url: a referral status webhook.
		if err := s.notifyReferral(r, ref); err != nil {
			s.meta.WriteError(w, r, err)
			return
		}
	}
	s.meta.Created(w, r, "/functions/v1/referrals/"+ref.ReferralID, ref)
}

// GET /functions/v1/referrals/{id}
func (s *server) getReferral(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ref, err := s.store.referral(partnerOf(r.Context()), id)
	if errors.Is(err, errNotFound) {
		s.meta.WriteError(w, r, ReferralNotFound.Newf("Referral '%s' does not exist", id).WithExtension("referralId", id))
		return
	}
	if err != nil {
		s.meta.WriteError(w, r, err)
		return
	}
	s.meta.OK(w, r, ref)
}

// prescriptionRequest is the body of POST /partner/prescriptions: the
// caller's metadata (seeds/002) and the prescription.
type prescriptionRequest struct {
	envelope.AckRequest
	Prescription *prescription `json:"prescription"`
}

type prescription struct {
	PatientID    string `json:"patient_id"`
	Medication   string `json:"medication"`
	Quantity     int    `json:"quantity"`
	Instructions string `json:"instructions"`
}

// POST /partner/prescriptions. A request the API cannot read is a 4xx; a
// prescription it can read but rejects is an HTTP 200 ERROR ack, as the ack
// protocol expects. With -callback-url, a request it can read is answered
// RECEIVED and the CONFIRMED or ERROR ack follows by callback.
func (s *server) createPrescription(w http.ResponseWriter, r *http.Request) {
	in, err := envelope.Decode[prescriptionRequest](r)
	if err != nil {
		s.ack.WriteError(w, r, err)
		return
	}
	if in.Metadata.RequestID == "" {
		s.ack.WriteError(w, r, problem.InvalidRequest.New("metadata.requestID is required").WithFields(
			problem.FieldError{Field: "metadata.requestID", Message: "Request ID is required", Code: problem.FieldValidationError}))
		return
	}
	if errs := appendTooLong(nil,
		tooLong("metadata.requestID", "Request ID", in.Metadata.RequestID, maxRequestIDLen),
		tooLong("metadata.requestTimestamp", "Request timestamp", in.Metadata.RequestTimestamp, maxTimestampLen),
		tooLong("metadata.responseTimestamp", "Response timestamp", in.Metadata.ResponseTimestamp, maxTimestampLen),
	); len(errs) > 0 {
		s.ack.WriteError(w, r, problem.InvalidRequest.New("The request metadata is invalid").WithFields(errs...))
		return
	}
	final := s.prescribe(r, in.Prescription)
	if s.hooks.callbacks != nil {
		// -callback-url: RECEIVED now, the final ack by callback.
		s.acknowledgeLater(w, r, final)
		return
	}
	s.ack.OK(w, r, final)
}

// prescribe processes a prescription and returns the final
// acknowledgement: CONFIRMED with a new reference, or ERROR.
func (s *server) prescribe(r *http.Request, p *prescription) envelope.Acknowledgement {
	if errs := p.validate(); len(errs) > 0 {
		return envelope.Acknowledgement{
			Type:  envelope.AckError,
			Error: InvalidPrescription.New("The prescription cannot be dispensed").WithFields(errs...),
		}
	}
	if _, err := s.store.patient(partnerOf(r.Context()), p.PatientID); err != nil {
		return envelope.Acknowledgement{
			Type:  envelope.AckError,
			Error: InvalidPrescription.New("The prescription names an unknown patient"),
		}
	}
	return envelope.Acknowledgement{ReferenceID: newID("rx_"), Type: envelope.AckConfirmed}
}

func (p *prescription) validate() []problem.FieldError {
	if p == nil {
		return []problem.FieldError{{Field: "prescription", Message: "Prescription is required", Code: problem.FieldValidationError}}
	}
	var errs []problem.FieldError
	if p.PatientID == "" {
		errs = append(errs, problem.FieldError{Field: "prescription.patient_id", Message: "Patient ID is required", Code: problem.FieldValidationError})
	}
	if p.Medication == "" {
		errs = append(errs, problem.FieldError{Field: "prescription.medication", Message: "Medication is required", Code: problem.FieldValidationError})
	}
	if p.Quantity < 1 || p.Quantity > 1000 {
		errs = append(errs, problem.FieldError{Field: "prescription.quantity", Message: "Quantity must be between 1 and 1000", Code: problem.FieldInvalidFormat})
	}
	return appendTooLong(errs,
		tooLong("prescription.patient_id", "Patient ID", p.PatientID, maxIDLen),
		tooLong("prescription.medication", "Medication", p.Medication, maxMedicationLen),
		tooLong("prescription.instructions", "Instructions", p.Instructions, maxInstructionsLen))
}
