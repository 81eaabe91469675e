package version

import "github.com/apikit-go/apikit/problem"

// The problems the middleware answers with. Register them in your
// [problem.Catalog] to give them types under your base URI.
var (
	// ErrUnknown is the 400 of a request that names a version the API
	// does not serve, or a malformed one. Its "supported" extension lists
	// the versions the API serves, oldest first.
	ErrUnknown = problem.MustDefine("version/unknown", 400, "Unknown API version")
	// ErrSunset is the 410 of a route past its sunset, or inside a
	// brownout before it. Its "successor" extension names the route to
	// use instead (when one is set) and "sunset" the date of the sunset.
	ErrSunset = problem.MustDefine("version/sunset", 410, "Gone")
)
