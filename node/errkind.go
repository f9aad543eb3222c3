package node

import (
	"errors"

	"github.com/samizdat/samizdat/bundle"
)

// ErrorKind names the class of err in a few words that say nothing about
// what was asked for: what logs at INFO and above may say of an error
// whose text could name a publisher, a CID or a peer's address.
func ErrorKind(err error) string {
	for _, k := range []struct {
		err  error
		kind string
	}{
		{ErrNoHead, "no head"}, {ErrRollback, "rollback"}, {ErrEquivocated, "equivocation"}, {ErrBadHead, "invalid head"},
		{bundle.ErrKeyRevoked, "key revoked"}, {bundle.ErrKeyNotAuthorized, "key not authorized"},
	} {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return errKind(err)
}
