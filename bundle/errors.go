package bundle

import (
	"errors"
	"fmt"
)

// ErrInvalid matches every error that says a bundle or publisher document
// failed verification: errors.Is(err, ErrInvalid) is true for all the
// verification sentinels below.
var ErrInvalid = errors.New("invalid bundle")

// Verification failures. Each also matches ErrInvalid.
var (
	ErrTruncated          = invalid("bundle is truncated")
	ErrMalformed          = invalid("malformed data")
	ErrHashMismatch       = invalid("block does not match its cid")
	ErrMissingBlock       = invalid("block missing from bundle")
	ErrWrongType          = invalid("object of the wrong type")
	ErrUnsupportedVersion = invalid("unsupported format version")
	ErrBadSignature       = invalid("bad signature")
	ErrWrongPublisher     = invalid("signed by another publisher")
	ErrKeyNotAuthorized   = invalid("signing key not authorized by the publisher")
	ErrKeyRevoked         = invalid("signing key revoked by the publisher")
	ErrSizeMismatch       = invalid("size does not match the manifest")
	ErrTooLarge           = invalid("exceeds a size limit")
	ErrDuplicateID        = invalid("duplicate article id")
)

// Errors that are not about verification.
var (
	// ErrNotFound says an object is not held: an article or attachment
	// a bundle does not have, a block it does not list, or a bundle, block
	// or catalog a repo or a peer does not hold. Every such error matches
	// it, with the object named in the message.
	ErrNotFound = errors.New("not found")
	// ErrUnsafePath is returned by Extract for a name that would escape
	// the target directory.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrBadKey is returned for a key file or publisher ID that cannot be
	// decoded.
	ErrBadKey = errors.New("bad key")
	// ErrAlreadyPacked is returned by Packer.Pack called a second time,
	// and by Packer.Add after Pack: a Packer makes one bundle.
	ErrAlreadyPacked = errors.New("packer has already packed its bundle")
)

// ErrNotFound for an article id or attachment name a bundle lacks. The id
// is left out: an error may end up in a log, and which article a reader
// asked for is private.
var (
	errNoArticle    = fmt.Errorf("%w: no such article", ErrNotFound)
	errNoAttachment = fmt.Errorf("%w: no such attachment", ErrNotFound)
)

type invalidError struct{ msg string }

func invalid(msg string) error { return &invalidError{msg} }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// Error adds context to a bundle error: the file and, where it helps, the
// object (an article id or block CID) the failure was found in.
type Error struct {
	Path   string // file, if any
	Object string // article id or block cid, if any
	Err    error
}

func (e *Error) Error() string {
	s := ""
	if e.Path != "" {
		s = e.Path + ": "
	}
	if e.Object != "" {
		s += e.Object + ": "
	}
	return s + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }
