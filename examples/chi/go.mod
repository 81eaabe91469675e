module github.com/apikit-go/apikit/examples/chi

go 1.25.0

require (
	github.com/apikit-go/apikit v0.0.0-00010101000000-000000000000
	github.com/go-chi/chi/v5 v5.5.0
)

require github.com/oklog/ulid/v2 v2.1.2 // indirect

replace github.com/apikit-go/apikit => ../..
