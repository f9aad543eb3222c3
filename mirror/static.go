package mirror

import (
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/node"
)

// ErrNoHead says a repo holds no head for a publisher.
var ErrNoHead = node.ErrNoHead

// StaticResult says what WriteStatic wrote for one publisher.
type StaticResult struct {
	Head    *node.Head
	Bundles int // bundle files in the copy (held ones of the catalog)
	Written int // of which written now
}

// WriteStatic writes the HTTP layout of docs/protocol.md into dir, for a
// plain web host or CDN to serve: for each publisher (nil: every one it
// holds a head of), ipfs/<catalog CID> (the catalog block), ipfs/<bundle
// root> (each held bundle's canonical file) with its block index
// samizdat/index/<bundle root> (for byte-range reads of one article),
// ipfs/<document CID> (a delegated head's publisher document) and, last,
// the head: ipns/<name> (its IPNS record, under the name it is valid for:
// the publisher's, or the head key's) and samizdat/heads/<publisher ID>
// (its wire form), so a reader never finds a head whose content is not
// there yet. Every file is written atomically; bundle files and indexes
// already present (immutable, named by CID) are not written again.
// index.html and README.txt say what the directory is (samizdat
// publish-static then puts the browser reader in index.html's place).
func (s *Service) WriteStatic(ctx context.Context, dir string, publishers []string) ([]StaticResult, error) {
	if publishers == nil {
		publishers = s.heads.List()
	}
	for _, sub := range []string{"ipfs", "ipns", filepath.FromSlash(strings.Trim(node.HeadPath, "/")), filepath.FromSlash(strings.Trim(node.IndexPath, "/"))} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	var out []StaticResult
	for _, pub := range publishers {
		r, err := s.writeStaticPublisher(ctx, dir, pub)
		if err != nil {
			return out, fmt.Errorf("publisher %s: %w", pub, err)
		}
		out = append(out, *r)
	}
	return out, writeStaticIndex(dir, out)
}

func (s *Service) writeStaticPublisher(ctx context.Context, dir, pub string) (*StaticResult, error) {
	h, pages, cat, err := s.heldCatalog(ctx, pub)
	if err != nil {
		return nil, err
	}
	r := &StaticResult{Head: h}
	for _, root := range cat.Bundles {
		if !s.n.HasBundle(ctx, root) {
			continue
		}
		r.Bundles++
		wrote, err := s.writeStaticBundle(dir, root)
		if err != nil {
			return nil, err
		}
		if wrote {
			r.Written++
		}
	}
	// The catalog's pages, oldest first, so that a copy being written never
	// names a page it lacks; a page written once never changes.
	for i := len(pages) - 1; i >= 0; i-- {
		p := filepath.Join(dir, "ipfs", pages[i].CID.String())
		if _, err := os.Stat(p); err == nil && i > 0 {
			continue
		}
		if err := atomicfile.WriteBytes(p, 0o644, pages[i].Data); err != nil {
			return nil, err
		}
	}
	if h.Authority != nil {
		if err := atomicfile.WriteBytes(filepath.Join(dir, "ipfs", h.Authority.CID().String()), 0o644, h.Authority.Bytes()); err != nil {
			return nil, err
		}
	}
	// The head last: its record under the IPNS name it is valid for, and
	// its wire form, which a delegated head needs.
	if err := atomicfile.WriteBytes(filepath.Join(dir, "ipns", h.IPNSName().Peer().String()), 0o644, h.Record()); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, filepath.FromSlash(strings.Trim(node.HeadPath, "/")), h.Publisher), 0o644, h.Bytes()); err != nil {
		return nil, err
	}
	return r, nil
}

// writeStaticBundle writes a held bundle's canonical file, ipfs/<root>,
// unless it is there, and then its block index, samizdat/index/<root>,
// unless that is there: files named by content never change. The index
// lets a browser fetch one article's blocks by byte range.
func (s *Service) writeStaticBundle(dir string, root cid.Cid) (wrote bool, err error) {
	p := filepath.Join(dir, "ipfs", root.String())
	ip := filepath.Join(dir, filepath.FromSlash(strings.Trim(node.IndexPath, "/")), root.String())
	haveFile, haveIndex := exists(p), exists(ip)
	if haveFile && haveIndex {
		return false, nil
	}
	b, err := s.n.OpenBundle(root)
	if err != nil {
		return false, err
	}
	defer b.Close()
	if !haveFile {
		if err := atomicfile.Write(p, 0o644, b.WriteCAR); err != nil {
			return false, err
		}
	}
	index, err := node.BundleIndex(b)
	if err != nil {
		return false, err
	}
	return !haveFile, atomicfile.WriteBytes(ip, 0o644, index)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func writeStaticIndex(dir string, pubs []StaticResult) error {
	var list strings.Builder
	for _, p := range pubs {
		fmt.Fprintf(&list, "  %s  head %d, %d bundles\n", p.Head.Publisher, p.Head.Seq, p.Bundles)
	}
	readme := fmt.Sprintf(`This directory is a samizdat mirror for plain web hosting.

It holds signed article bundles, the catalogs listing them and the
publishers' signed heads, in the HTTP layout of samizdat's
docs/protocol.md. Nothing here needs to be trusted: a reader checks every
byte against the publisher's ID. To fetch and verify:

  samizdat get --publisher ID --http URL-OF-THIS-DIRECTORY -o DIR

Publishers:
%s`, list.String())
	page := "<!doctype html>\n<meta charset=\"utf-8\">\n<title>samizdat mirror</title>\n<pre>\n" + html.EscapeString(readme) + "</pre>\n"
	if err := atomicfile.WriteBytes(filepath.Join(dir, "README.txt"), 0o644, []byte(readme)); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, "index.html"), 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, page)
		return err
	})
}
