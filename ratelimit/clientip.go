package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP finds the client address of a request. It trusts X-Forwarded-For
// only when the connection comes from one of its trusted proxies; otherwise
// any client could choose its own address, and with it its own budget.
type ClientIP struct {
	trusted []netip.Prefix
}

// NewClientIP returns a ClientIP that honours X-Forwarded-For from peers in
// trusted. With no trusted prefixes the client is always the peer.
func NewClientIP(trusted []netip.Prefix) ClientIP {
	prefixes := make([]netip.Prefix, 0, len(trusted))
	for _, p := range trusted {
		prefixes = append(prefixes, p.Masked())
	}
	return ClientIP{trusted: prefixes}
}

// Of returns the client address of r: the peer address of the connection or,
// when the peer is a trusted proxy, the rightmost X-Forwarded-For entry that
// is not a trusted proxy. A malformed entry met on that walk makes the peer
// the client, since nothing left of it can be trusted. Of returns the zero
// Addr when r.RemoteAddr holds no IP address (a Unix socket, for example).
func (c ClientIP) Of(r *http.Request) netip.Addr {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return netip.Addr{}
	}
	if !c.trusts(peer) {
		return peer
	}
	entries := forwardedFor(r.Header)
	for i := len(entries) - 1; i >= 0; i-- {
		addr, ok := parseAddr(entries[i])
		if !ok {
			return peer
		}
		// Every hop trusted: the leftmost one is where the request started.
		if !c.trusts(addr) || i == 0 {
			return addr
		}
	}
	return peer
}

// FromTrustedProxy reports whether r came over a connection from one of the
// trusted proxies, so that its X-Forwarded-* headers may be believed.
func (c ClientIP) FromTrustedProxy(r *http.Request) bool {
	peer, ok := parseAddr(r.RemoteAddr)
	return ok && c.trusts(peer)
}

func (c ClientIP) trusts(addr netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// forwardedFor returns the X-Forwarded-For entries of h in order, across all
// header lines; a proxy may add its own line instead of extending the last.
func forwardedFor(h http.Header) []string {
	var entries []string
	for _, line := range h.Values("X-Forwarded-For") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		for entry := range strings.SplitSeq(line, ",") {
			entries = append(entries, strings.TrimSpace(entry))
		}
	}
	return entries
}

// parseAddr reads an address with or without a port ("192.0.2.1",
// "192.0.2.1:443", "[2001:db8::1]:443"). IPv4-mapped IPv6 addresses become
// IPv4 and zones are dropped, so one client has one spelling.
func parseAddr(s string) (netip.Addr, bool) {
	if addr, ok := parseBareAddr(s); ok {
		return addr, true
	}
	addrPort, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return addrPort.Addr().Unmap().WithZone(""), true
}

// ParseCIDRs parses a comma-separated list of CIDR prefixes, such as the
// TRUSTED_PROXIES setting. A bare IP address stands for itself (/32 or
// /128). Empty entries are ignored, so "" yields no prefixes.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if strings.Contains(entry, "/") {
			p, err := netip.ParsePrefix(entry)
			if err != nil {
				return nil, fmt.Errorf("ratelimit: CIDR list: entry %q is not a CIDR prefix: %w", entry, err)
			}
			prefixes = append(prefixes, p.Masked())
			continue
		}
		addr, ok := parseBareAddr(entry)
		if !ok {
			return nil, fmt.Errorf("ratelimit: CIDR list: entry %q is neither a CIDR prefix nor an IP address", entry)
		}
		prefixes = append(prefixes, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return prefixes, nil
}

// parseBareAddr reads an address without a port, normalized like parseAddr.
func parseBareAddr(s string) (netip.Addr, bool) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}
