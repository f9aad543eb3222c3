package main

import (
	"github.com/samizdat/samizdat/node"
	webapp "github.com/samizdat/samizdat/web/reader"
)

// learnedMirrors are the https mirrors the documents of heads list
// (bundle-format.md §7), for the browser reader's page to list and let its
// CSP reach (webapp.Options.Learned). libp2p addresses and kinds this
// version does not read are left out: a browser fetches only over HTTPS.
func learnedMirrors(heads []*node.Head) []webapp.Mirror {
	var out []webapp.Mirror
	for _, h := range heads {
		if h == nil || h.Authority == nil {
			continue
		}
		for _, m := range node.ParseMirrors(h.Authority.Mirrors) {
			if m.URL != "" {
				out = append(out, webapp.Mirror{URL: m.URL, Kind: webapp.KindAuto})
			}
		}
	}
	return out
}

// heldHeads returns the heads a node holds, by the publishers list gives
// and get reads; one that cannot be read is left out.
func heldHeads(list func() []string, get func(string) (*node.Head, error)) []*node.Head {
	var out []*node.Head
	for _, id := range list() {
		if h, err := get(id); err == nil && h != nil {
			out = append(out, h)
		}
	}
	return out
}
