package pagination

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// minSecretLen is the shortest secret a [Key] may have, in bytes.
const minSecretLen = 32

// maxKeyIDLen is the longest key ID, in bytes.
const maxKeyIDLen = 32

// Key is a secret that signs (and, with [WithEncryption], encrypts)
// cursors. The ID travels in every cursor so that verification finds the
// key in one map lookup; it is not secret.
type Key struct {
	// ID names the key: 1–32 characters of letters, digits, '-', '_' and
	// '.', unique in its [Keyring].
	ID string
	// Secret is at least 32 random bytes.
	Secret []byte
}

// Keyring holds the keys that sign and verify cursors: one active key signs
// every new cursor; older keys still verify the cursors they signed until
// they are removed from the ring, after which those cursors are rejected
// as expired (retired). A Keyring is immutable and safe for concurrent use.
//
// To rotate, deploy a ring with the new key active and the old one among
// the verify-only keys; once every cursor signed with the old key has gone
// stale (see [WithTTL]), deploy a ring without it.
type Keyring struct {
	active *ringKey
	byID   map[string]*ringKey
}

// ringKey is a key with its derived subkeys.
type ringKey struct {
	id     string
	macKey []byte
	aead   cipher.AEAD
	macs   sync.Pool // of hash.Hash keyed with macKey
}

// NewKeyring returns a ring whose active key signs and whose verifyOnly
// keys only verify. Key IDs must be unique and well formed, secrets at
// least 32 bytes; the secrets are copied.
func NewKeyring(active Key, verifyOnly ...Key) (*Keyring, error) {
	kr := &Keyring{byID: make(map[string]*ringKey, 1+len(verifyOnly))}
	for i, k := range append([]Key{active}, verifyOnly...) {
		if err := validKeyID(k.ID); err != nil {
			return nil, err
		}
		if len(k.Secret) < minSecretLen {
			return nil, fmt.Errorf("pagination: key %q: secret is %d bytes, want at least %d", k.ID, len(k.Secret), minSecretLen)
		}
		if _, dup := kr.byID[k.ID]; dup {
			return nil, fmt.Errorf("pagination: duplicate key ID %q", k.ID)
		}
		rk, err := deriveKey(k)
		if err != nil {
			return nil, err
		}
		kr.byID[k.ID] = rk
		if i == 0 {
			kr.active = rk
		}
	}
	return kr, nil
}

func validKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return fmt.Errorf("pagination: key ID %q: want 1 to %d characters", id, maxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return fmt.Errorf("pagination: key ID %q: only letters, digits, '-', '_' and '.' are allowed", id)
		}
	}
	return nil
}

// deriveKey derives independent MAC and encryption keys from the secret,
// so one secret never serves two algorithms.
func deriveKey(k Key) (*ringKey, error) {
	rk := &ringKey{id: k.ID, macKey: subkey(k.Secret, "apikit/pagination/mac/v1")}
	block, err := aes.NewCipher(subkey(k.Secret, "apikit/pagination/enc/v1"))
	if err != nil {
		return nil, fmt.Errorf("pagination: key %q: %w", k.ID, err)
	}
	if rk.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("pagination: key %q: %w", k.ID, err)
	}
	rk.macs.New = func() any { return hmac.New(sha256.New, rk.macKey) }
	return rk, nil
}

func subkey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// mac appends HMAC-SHA256(macKey, msg) to dst.
func (rk *ringKey) mac(dst, msg []byte) []byte {
	h := rk.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	dst = h.Sum(dst)
	rk.macs.Put(h)
	return dst
}

// errNoKeyring is returned when a cursor must be signed or verified by a
// Paginator made without a keyring.
var errNoKeyring = errors.New("pagination: no keyring configured for signed cursors")
