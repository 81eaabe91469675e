package main

import (
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// Patient is a clinic patient as the API returns it.
type Patient struct {
	PatientID        string    `json:"patient_id"`
	FamilyName       string    `json:"family_name"`
	GivenName        string    `json:"given_name"`
	DateOfBirth      string    `json:"date_of_birth"`
	Sex              string    `json:"sex"`
	IHINumber        string    `json:"ihi_number,omitempty"`
	MedicareNumber   string    `json:"medicare_number,omitempty"`
	PartnerPatientID string    `json:"partner_patient_id,omitempty"`
	CreatedAt        time.Time `json:"-"`
}

// Referral is a referral received through the meta-dialect API.
type Referral struct {
	ReferralID string    `json:"referral_id"`
	PatientID  string    `json:"patient_id"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason"`
	Urgency    string    `json:"urgency"`
	ReceivedAt time.Time `json:"received_at"`
}

var (
	errNotFound          = errors.New("partnerapi: not found")
	errPartnerIDConflict = errors.New("partnerapi: partner patient id in use")
	errPatientLimit      = errors.New("partnerapi: patient limit reached")
	errReferralLimit     = errors.New("partnerapi: referral limit reached")
	errPartnerLimit      = errors.New("partnerapi: partner limit reached")
)

// store keeps every partner's data in memory. Each partner sees only its
// own patients and referrals, and keeps at most maxPatients patients and
// maxReferrals referrals, so no partner can fill the memory the others
// need; at most maxPartners partners hold data at a time, so neither can
// a caller that invents new partner names.
type store struct {
	mu                                     sync.RWMutex
	partners                               map[string]*partnerData
	maxPatients, maxReferrals, maxPartners int
}

type partnerData struct {
	patients  []*Patient // in list order: (CreatedAt, PatientID)
	byID      map[string]*Patient
	byPartner map[string]*Patient
	referrals map[string]*Referral
}

func newStore(maxPatients, maxReferrals, maxPartners int) *store {
	return &store{partners: map[string]*partnerData{}, maxPatients: maxPatients, maxReferrals: maxReferrals, maxPartners: maxPartners}
}

// partner returns the data of the partner name, making room for a new
// partner unless maxPartners already hold data.
func (s *store) partner(name string) (*partnerData, error) {
	d := s.partners[name]
	if d == nil {
		if len(s.partners) >= s.maxPartners {
			return nil, errPartnerLimit
		}
		d = &partnerData{byID: map[string]*Patient{}, byPartner: map[string]*Patient{}, referrals: map[string]*Referral{}}
		s.partners[name] = d
	}
	return d, nil
}

// createPatient stores p with a new id, unless its partner_patient_id is
// already used by another of the partner's patients or the partner has
// maxPatients patients already.
func (s *store) createPatient(partner string, p Patient, now time.Time) (Patient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.partner(partner)
	if err != nil {
		return Patient{}, err
	}
	if p.PartnerPatientID != "" {
		if _, dup := d.byPartner[p.PartnerPatientID]; dup {
			return Patient{}, errPartnerIDConflict
		}
	}
	if len(d.patients) >= s.maxPatients {
		return Patient{}, errPatientLimit
	}
	p.PatientID = newID("pat_")
	p.CreatedAt = now
	stored := p
	i, _ := slices.BinarySearchFunc(d.patients, &stored, comparePatients)
	d.patients = slices.Insert(d.patients, i, &stored)
	d.byID[p.PatientID] = &stored
	if p.PartnerPatientID != "" {
		d.byPartner[p.PartnerPatientID] = &stored
	}
	return p, nil
}

func (s *store) patient(partner, id string) (Patient, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.partners[partner]; d != nil {
		if p := d.byID[id]; p != nil {
			return *p, nil
		}
	}
	return Patient{}, errNotFound
}

func (s *store) deletePatient(partner, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.partners[partner]
	if d == nil || d.byID[id] == nil {
		return errNotFound
	}
	p := d.byID[id]
	delete(d.byID, id)
	if p.PartnerPatientID != "" {
		delete(d.byPartner, p.PartnerPatientID)
	}
	d.patients = slices.DeleteFunc(d.patients, func(q *Patient) bool { return q.PatientID == id })
	if len(d.patients) == 0 && len(d.referrals) == 0 {
		delete(s.partners, partner) // its place goes to the next partner
	}
	return nil
}

// comparePatients orders patients by creation time, then id: the list
// order, whose last value is unique.
func comparePatients(a, b *Patient) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.PatientID, b.PatientID)
}

// listPatients returns up to n of the partner's patients after the
// boundary (created_at, patient_id) in list order, skipping offset of them,
// or, with backward, the n before it, nearest first: the keyset query a
// database would run. A nil boundary starts at the beginning of the list.
func (s *store) listPatients(partner string, boundary []any, backward bool, offset, n int) ([]Patient, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.partners[partner]
	if d == nil {
		return nil, 0
	}
	start := 0
	if len(boundary) == 2 {
		createdAt, _ := boundary[0].(time.Time)
		id, _ := boundary[1].(string)
		start, _ = slices.BinarySearchFunc(d.patients, &Patient{CreatedAt: createdAt, PatientID: id}, comparePatients)
		if !backward && start < len(d.patients) && d.patients[start].PatientID == id {
			start++ // strictly after the boundary row
		}
	}
	var out []Patient
	if backward {
		for i := start - 1; i >= 0 && len(out) < n; i-- {
			out = append(out, *d.patients[i])
		}
		return out, len(d.patients)
	}
	for i := start + offset; i < len(d.patients) && len(out) < n; i++ {
		out = append(out, *d.patients[i])
	}
	return out, len(d.patients)
}

func (s *store) createReferral(partner string, r Referral) (Referral, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.partners[partner]
	if d == nil || d.byID[r.PatientID] == nil {
		return Referral{}, errNotFound
	}
	if len(d.referrals) >= s.maxReferrals {
		return Referral{}, errReferralLimit
	}
	r.ReferralID = newID("ref_")
	d.referrals[r.ReferralID] = &r
	return r, nil
}

func (s *store) referral(partner, id string) (Referral, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.partners[partner]; d != nil {
		if r := d.referrals[id]; r != nil {
			return *r, nil
		}
	}
	return Referral{}, errNotFound
}

// newID returns prefix followed by 16 random lower-case base32 characters
// (80 bits from crypto/rand).
func newID(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:16])
}
