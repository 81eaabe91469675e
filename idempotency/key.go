package idempotency

import (
	"errors"
	"strings"

	"github.com/apikit-go/apikit/problem"
)

// maxKeyLength is the longest idempotency key accepted, in bytes.
const maxKeyLength = 255

// parseKey reads the idempotency key from a header's field lines. values
// is never empty. The key may be sent bare (Idempotency-Key: abc) or as an
// RFC 8941 Structured Field string (Idempotency-Key: "abc"), the form the
// IETF draft specifies. It must be 1–255 characters of printable ASCII; a
// repeated header or a list of values is refused.
func parseKey(header string, values []string) (string, *problem.Problem) {
	if len(values) > 1 {
		return "", InvalidKey.Newf("The %s header must appear once", header)
	}
	v := strings.Trim(values[0], " \t")
	var key string
	if strings.HasPrefix(v, `"`) {
		k, rest, ok := parseSFString(v)
		if !ok {
			return "", InvalidKey.Newf("The %s header is not a valid quoted string", header)
		}
		switch rest = strings.TrimLeft(rest, " \t"); {
		case rest == "":
		case rest[0] == ',':
			return "", InvalidKey.Newf("The %s header must hold one key, not a list", header)
		default:
			return "", InvalidKey.Newf("The %s header must hold a single string without parameters", header)
		}
		key = k
	} else {
		if strings.IndexByte(v, ',') >= 0 {
			return "", InvalidKey.Newf("The %s header must hold one key, not a list", header)
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < 0x20 || c > 0x7e {
				return "", InvalidKey.Newf("The %s header must be printable ASCII", header)
			}
		}
		key = v
	}
	switch {
	case key == "":
		return "", InvalidKey.Newf("The %s header is empty", header)
	case len(key) > maxKeyLength:
		return "", InvalidKey.Newf("The %s header is longer than %d characters", header, maxKeyLength)
	}
	return key, nil
}

// parseSFString parses the RFC 8941 sf-string at the start of s (which
// begins with '"') and returns its value and what follows it.
func parseSFString(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
			if i == len(s) || (s[i] != '"' && s[i] != '\\') {
				return "", "", false
			}
			b.WriteByte(s[i])
		case c == '"':
			return b.String(), s[i+1:], true
		case c < 0x20 || c > 0x7e:
			return "", "", false
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// ValidateUUIDv4 is a key validator (see [WithValidator]) that accepts only
// RFC 9562 version 4 UUIDs in their 36-character text form, upper or lower
// case, as APIs that document "Idempotency-Key (UUID v4)" require.
func ValidateUUIDv4(key string) error {
	if !isUUIDv4(key) {
		return InvalidKey.New("The idempotency key must be a UUID v4, e.g. 3f1c2a9e-5b7d-4c1e-9a2b-8d6f0e4c3b21")
	}
	return nil
}

func isUUIDv4(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		case 14:
			if c != '4' {
				return false
			}
		case 19:
			if !strings.ContainsRune("89abAB", rune(c)) {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// validatorProblem turns a validator's error into the problem to write: a
// problem the validator made is kept, anything else is an InvalidKey.
func validatorProblem(header string, err error) error {
	var p *problem.Problem
	if errors.As(err, &p) {
		return err
	}
	return InvalidKey.Wrap(err, "The "+header+" header is not in the required format")
}
