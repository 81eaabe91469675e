package envelope

import "net/http"

// Handle adapts a function that returns a value or an error to an
// http.Handler: the value is written with [Writer.OK] (a nil slice as []),
// the error with [Writer.WriteError]. opts apply to every success.
//
//	mux.Handle("GET /patients/{id}", envelope.Handle(wr, func(r *http.Request) (Patient, error) {
//		return store.Patient(r.Context(), r.PathValue("id"))
//	}))
func Handle[T any](wr *Writer, fn func(r *http.Request) (T, error), opts ...ReplyOption) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(r)
		if err != nil {
			wr.WriteError(w, r, err)
			return
		}
		wr.OK(w, r, v, opts...)
	})
}
