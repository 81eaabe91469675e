package main

import (
	"net/http"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/pagination"
)

// patientSummary is a patient as lists show it.
type patientSummary struct {
	PatientID  string `json:"patient_id"`
	FamilyName string `json:"family_name"`
	GivenName  string `json:"given_name"`
}

// patientKey tells pagination a patient's id and its sort values in list
// order, ending with the unique id.
func patientKey(p Patient) pagination.Keyset {
	return pagination.Keyset{ID: p.PatientID, Values: []any{p.CreatedAt, p.PatientID}}
}

// GET /api/v1/patients?limit=&lastKey=&offset= (standard style).
func (s *server) listPatients(w http.ResponseWriter, r *http.Request) {
	params, err := s.pager.Parse(r)
	if err != nil {
		s.std.WriteError(w, r, err) // 400 naming the parameter
		return
	}
	rows, total := s.store.listPatients(partnerOf(r.Context()), params.After(), params.Backward, params.Offset, params.Fetch())
	s.writePage(w, r, s.std, s.pager, params, rows, total)
}

// GET /v2/patients?limit=&starting_after=&ending_before= (records style).
// starting_after and ending_before are patient ids, looked up within the
// partner's own patients.
func (s *server) listPatientRecords(w http.ResponseWriter, r *http.Request) {
	params, err := s.recordsPager.Parse(r)
	if err != nil {
		s.records.WriteError(w, r, err)
		return
	}
	partner := partnerOf(r.Context())
	var boundary []any
	if params.ID != "" {
		p, err := s.store.patient(partner, params.ID)
		if err != nil {
			s.records.WriteError(w, r, params.UnknownID())
			return
		}
		boundary = patientKey(p).Values
	}
	rows, total := s.store.listPatients(partner, boundary, params.Backward, params.Offset, params.Fetch())
	s.writePage(w, r, s.records, s.recordsPager, params, rows, total)
}

// writePage builds the page from the rows the store returned (Limit+1) and
// writes it, with a Link header, in wr's list style.
func (s *server) writePage(w http.ResponseWriter, r *http.Request, wr *envelope.Writer, pager *pagination.Paginator,
	params pagination.Params, rows []Patient, total int) {
	items, page, err := pagination.Build(params, rows, patientKey)
	if err != nil {
		wr.WriteError(w, r, err)
		return
	}
	if params.Total {
		page = page.WithTotal(int64(total))
	}
	summaries := make([]patientSummary, len(items))
	for i, p := range items {
		summaries[i] = patientSummary{PatientID: p.PatientID, FamilyName: p.FamilyName, GivenName: p.GivenName}
	}
	pager.SetLink(w, r, page)
	envelope.List(wr, w, r, summaries, page)
}
