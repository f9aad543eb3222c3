package crawl

import (
	"net"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// siteOf returns the site of a host: its registrable domain (eTLD+1, so
// www.example.co.uk and img.example.co.uk are one site), or the host
// itself for an IP address or a name without one (localhost).
func siteOf(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if net.ParseIP(host) != nil {
		return host
	}
	s, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return s
}

// allowedHost reports whether host may be fetched in a walk that started
// on site: it is on that site or named by allow ("h" exactly, ".h" h and
// its subdomains).
func allowedHost(host, site string, allow []string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if siteOf(host) == site {
		return true
	}
	for _, a := range allow {
		a = strings.ToLower(a)
		if d, ok := strings.CutPrefix(a, "."); ok {
			if host == d || strings.HasSuffix(host, a) {
				return true
			}
		} else if host == a {
			return true
		}
	}
	return false
}
