package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
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

func runAuthorizeCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("authorize", flag.ContinueOnError)
	keyPath := fs.String("k", "", "the publisher's root key")
	out := fs.String("o", "", "publisher document to write")
	from := fs.String("from", "", "current publisher document to build on")
	name := fs.String("name", "", "publisher name shown to readers")
	var add, revoke multiFlag
	fs.Var(&add, "add", "authorize a signing key (key file or key ID); repeatable")
	fs.Var(&revoke, "revoke", "revoke a signing key (key file or key ID), optionally KEY@SEQ to keep its bundles up to SEQ valid; repeatable")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *keyPath == "" || *out == "" || len(pos) != 0 {
		return fmt.Errorf("%w: -k ROOTKEY and -o DOC are required", errUsage)
	}
	root, err := loadKey(*keyPath)
	if err != nil {
		return err
	}
	prev, err := loadAuthority(*from)
	if err != nil {
		return err
	}
	p := bundle.AuthorityParams{Seq: 1, Created: time.Now(), Name: *name}
	if prev != nil {
		if prev.Publisher != bundle.PublisherID(root.Public().(ed25519.PublicKey)) {
			return fmt.Errorf("%s: %w", *from, bundle.ErrWrongPublisher)
		}
		p.Seq, p.Keys, p.Revoked = prev.Seq+1, prev.Keys, prev.Revoked
		if p.Name == "" {
			p.Name = prev.Name
		}
	}
	for _, r := range revoke {
		arg, after := r, uint64(0)
		if i := strings.LastIndexByte(r, '@'); i > 0 {
			if after, err = strconv.ParseUint(r[i+1:], 10, 63); err != nil {
				return fmt.Errorf("%w: --revoke %s: bad sequence", errUsage, r)
			}
			arg = r[:i]
		}
		k, err := loadPublicKey(arg)
		if err != nil {
			return err
		}
		var keep []ed25519.PublicKey
		for _, old := range p.Keys {
			if !old.Equal(k) {
				keep = append(keep, old)
			}
		}
		p.Keys = keep
		p.Revoked = append(p.Revoked, bundle.Revocation{Key: k, After: after})
	}
	for _, a := range add {
		k, err := loadPublicKey(a)
		if err != nil {
			return err
		}
		p.Keys = append(p.Keys, k)
	}
	doc, err := bundle.NewAuthority(root, p)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(*out, 0o644, doc.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "publisher %s\ndocument  %d, %d signing keys, %d revoked\n", doc.Publisher, doc.Seq, len(doc.Keys), len(doc.Revoked))
	return nil
}
