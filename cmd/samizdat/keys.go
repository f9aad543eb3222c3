package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/node"
)

func runKeygenCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	out := fs.String("o", "", "key file to create (mode 0600; never overwritten)")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *out == "" || len(pos) != 0 {
		return fmt.Errorf("%w: -o FILE is required", errUsage)
	}
	priv, err := bundle.GenerateKey()
	if err != nil {
		return err
	}
	pem, err := bundle.MarshalPrivateKey(priv)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteNew(*out, 0o600, func(w io.Writer) error { _, err := w.Write(pem); return err }); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, bundle.PublisherID(priv.Public().(ed25519.PublicKey)))
	return nil
}

// loadKey reads a private key file, refusing files others can read.
func loadKey(path string) (ed25519.PrivateKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: key file is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := bundle.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// loadPublicKey accepts a key file (private or public PEM) or a key ID.
func loadPublicKey(arg string) (ed25519.PublicKey, error) {
	if data, err := os.ReadFile(arg); err == nil {
		k, err := bundle.ParsePublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		return k, nil
	}
	return bundle.ParsePublisherID(arg)
}

func loadAuthority(path string) (*bundle.Authority, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	a, err := bundle.ParseAuthorityFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// defaultHeadKeyWindow is how long `authorize --head-key` lets a head key
// sign heads unless told: a quarter year, so a leaked key dies by itself
// even if no one revokes it, and a newsroom renews its document at a
// quarterly ceremony.
const defaultHeadKeyWindow = 90 * 24 * time.Hour

// authorizeOptions is what `samizdat authorize` was asked to do.
type authorizeOptions struct {
	keyPath, out, from, name string
	add, revoke, headKeys    []string
	mirrors, dropMirrors     []string
	until                    time.Duration
}

func runAuthorizeCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("authorize", flag.ContinueOnError)
	var o authorizeOptions
	fs.StringVar(&o.keyPath, "k", "", "the publisher's root key")
	fs.StringVar(&o.out, "o", "", "publisher document to write")
	fs.StringVar(&o.from, "from", "", "current publisher document to build on")
	fs.StringVar(&o.name, "name", "", "publisher name shown to readers")
	var add, revoke, headKeys, mirrors, dropMirrors multiFlag
	fs.Var(&add, "add", "authorize a bundle signing key (key file or key ID); repeatable")
	fs.Var(&headKeys, "head-key", "authorize a key to sign heads (key file or key ID), for --until; repeatable")
	fs.DurationVar(&o.until, "until", defaultHeadKeyWindow, "how long from now the --head-key keys may sign heads")
	fs.Var(&revoke, "revoke", "revoke a signing key, for bundles and heads (key file or key ID), optionally KEY@SEQ to keep its bundles up to SEQ valid; repeatable")
	fs.Var(&mirrors, "mirror", "list a mirror readers may fetch from: a libp2p multiaddr with /p2p/ID, or an https base URL; repeatable")
	fs.Var(&dropMirrors, "drop-mirror", "stop listing a mirror the --from document lists; repeatable")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if o.keyPath == "" || o.out == "" || len(pos) != 0 {
		return fmt.Errorf("%w: -k ROOTKEY and -o DOC are required", errUsage)
	}
	for _, m := range mirrors {
		if _, err := node.ParseMirror(m); err != nil {
			return fmt.Errorf("%w: --mirror %.200q: %v", errUsage, m, err)
		}
	}
	if o.until <= 0 {
		return fmt.Errorf("%w: --until must be positive", errUsage)
	}
	o.add, o.revoke, o.headKeys, o.mirrors, o.dropMirrors = add, revoke, headKeys, mirrors, dropMirrors
	doc, err := authorize(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "publisher %s\ndocument  %d, %d signing keys, %d head keys, %d revoked, %d mirrors\n", doc.Publisher, doc.Seq, len(doc.Keys), len(doc.HeadKeys), len(doc.Revoked), len(doc.Mirrors))
	return nil
}

// authorize signs the next publisher document with the root key: the
// document it builds on, less the revoked keys, plus the added ones. Head
// keys whose window has closed are dropped; a head key granted again
// gets the new window.
func authorize(o authorizeOptions) (*bundle.Authority, error) {
	root, err := loadKey(o.keyPath)
	if err != nil {
		return nil, err
	}
	prev, err := loadAuthority(o.from)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	p := bundle.AuthorityParams{Seq: 1, Created: now, Name: o.name}
	if prev != nil {
		if prev.Publisher != bundle.PublisherID(root.Public().(ed25519.PublicKey)) {
			return nil, fmt.Errorf("%s: %w", o.from, bundle.ErrWrongPublisher)
		}
		p.Seq, p.Keys, p.Revoked = prev.Seq+1, slices.Clone(prev.Keys), slices.Clone(prev.Revoked)
		for _, hk := range prev.HeadKeys {
			if hk.Until.After(now) {
				p.HeadKeys = append(p.HeadKeys, hk)
			}
		}
		if p.Name == "" {
			p.Name = prev.Name
		}
		p.Mirrors = slices.DeleteFunc(slices.Clone(prev.Mirrors), func(m string) bool { return slices.Contains(o.dropMirrors, m) })
	}
	for _, m := range o.dropMirrors {
		if prev == nil || !slices.Contains(prev.Mirrors, m) {
			return nil, fmt.Errorf("%w: --drop-mirror %.200q: the --from document does not list it", errUsage, m)
		}
	}
	for _, m := range o.mirrors {
		if !slices.Contains(p.Mirrors, m) {
			p.Mirrors = append(p.Mirrors, m)
		}
	}
	for _, r := range o.revoke {
		arg, after := r, uint64(0)
		if i := strings.LastIndexByte(r, '@'); i > 0 {
			if after, err = strconv.ParseUint(r[i+1:], 10, 63); err != nil {
				return nil, fmt.Errorf("%w: --revoke %s: bad sequence", errUsage, r)
			}
			arg = r[:i]
		}
		k, err := loadPublicKey(arg)
		if err != nil {
			return nil, err
		}
		p.Keys = slices.DeleteFunc(p.Keys, func(old ed25519.PublicKey) bool { return old.Equal(k) })
		p.HeadKeys = slices.DeleteFunc(p.HeadKeys, func(hk bundle.HeadKey) bool { return hk.Key.Equal(k) })
		p.Revoked = append(p.Revoked, bundle.Revocation{Key: k, After: after})
	}
	for _, a := range o.add {
		k, err := loadPublicKey(a)
		if err != nil {
			return nil, err
		}
		p.Keys = append(p.Keys, k)
	}
	for _, a := range o.headKeys {
		k, err := loadPublicKey(a)
		if err != nil {
			return nil, err
		}
		p.HeadKeys = slices.DeleteFunc(p.HeadKeys, func(hk bundle.HeadKey) bool { return hk.Key.Equal(k) })
		p.HeadKeys = append(p.HeadKeys, bundle.HeadKey{Key: k, Until: now.Add(o.until)})
	}
	doc, err := bundle.NewAuthority(root, p)
	if err != nil {
		return nil, err
	}
	return doc, atomicfile.WriteBytes(o.out, 0o644, doc.Bytes())
}
