// Package pagination parses list parameters, signs opaque cursors and
// builds pages in the two list styles partner APIs use: offset/lastKey with
// a pagination object, and records with starting_after/ending_before.
package pagination
