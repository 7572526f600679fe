package connguard

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// Defaults for the zero values of Config fields.
const (
	// DefaultMaxConns caps open connections in total. It must stay below the process's
	// descriptor limit (ulimit -n) with room for the database pool and files.
	DefaultMaxConns = 10000
	// DefaultMaxConnsPerAddr caps the open connections of one client address key. Browsers open
	// at most six per host and HTTP client pools a few dozen; 256 leaves room for a NAT gateway
	// while keeping one address from holding more than a fortieth of DefaultMaxConns.
	DefaultMaxConnsPerAddr = 256
	// DefaultIPv6PrefixLength groups IPv6 clients by /64: one subscriber usually holds a whole
	// /64, so counting single IPv6 addresses would let it open 2^64 times the cap.
	DefaultIPv6PrefixLength = 64
)

// LogInterval is the shortest time between two summaries of refusals and evictions. A flood
// produces one log line per interval with counts, never one per connection.
const LogInterval = 10 * time.Second

// Bounds on refused connections. A refused connection still holds a descriptor while it is
// answered, so both the number and the lifetime of such answers are capped.
const (
	// refusalSlots is how many refused connections may be answered at once; beyond it a refused
	// connection is closed without an answer.
	refusalSlots = 64
	// refusalTimeout bounds the whole exchange with a refused client: waiting for its request,
	// writing the 503 and draining until it hangs up.
	refusalTimeout = time.Second
	// refusalDrainBytes bounds what is read and discarded from a refused client, so that a
	// client streaming a large body costs no more than this.
	refusalDrainBytes = 64 << 10
)

// Config configures a Listener. Zero values take the defaults.
type Config struct {
	// MaxConns caps open connections in total. When it is reached, the connection idle for
	// longest is closed to admit a new one; only when none is idle is the new one refused.
	// Default DefaultMaxConns.
	MaxConns int
	// MaxConnsPerAddr caps the open connections of one client address key (see
	// IPv6PrefixLength); a connection beyond it is refused at once with 503.
	// Default DefaultMaxConnsPerAddr.
	MaxConnsPerAddr int
	// IPv6PrefixLength is the length of the prefix that IPv6 clients are grouped by; IPv4
	// clients are counted per address. Default DefaultIPv6PrefixLength.
	IPv6PrefixLength int
	// ExemptPeers are peers not subject to MaxConnsPerAddr, typically reverse proxies, whose
	// connections carry many clients. They still count towards MaxConns.
	ExemptPeers []netip.Prefix
	// Logger receives the periodic summaries of refusals, evictions and accept errors.
	// Default slog.Default().
	Logger *slog.Logger
}

// limits is a Config with its defaults applied and checked.
type limits struct {
	maxConns   int
	maxPerAddr int
	ipv6Bits   int
	exempt     []netip.Prefix
}

// newLimits applies the defaults of cfg and rejects values that cannot be meant.
func newLimits(cfg Config) (limits, error) {
	lim := limits{
		maxConns:   orDefault(cfg.MaxConns, DefaultMaxConns),
		maxPerAddr: orDefault(cfg.MaxConnsPerAddr, DefaultMaxConnsPerAddr),
		ipv6Bits:   orDefault(cfg.IPv6PrefixLength, DefaultIPv6PrefixLength),
	}
	switch {
	case lim.maxConns < 0:
		return limits{}, fmt.Errorf("connguard: max conns %d is negative", lim.maxConns)
	case lim.maxPerAddr < 0:
		return limits{}, fmt.Errorf("connguard: max conns per addr %d is negative", lim.maxPerAddr)
	case lim.ipv6Bits < 0 || lim.ipv6Bits > 128:
		return limits{}, fmt.Errorf("connguard: IPv6 prefix length %d is outside 1..128", lim.ipv6Bits)
	}
	for _, p := range cfg.ExemptPeers {
		if !p.IsValid() {
			return limits{}, fmt.Errorf("connguard: exempt peer prefix %v is invalid", p)
		}
		lim.exempt = append(lim.exempt, p.Masked())
	}
	return lim, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// addrKey returns the key a peer's connections are counted under and whether MaxConnsPerAddr
// applies to it. Peers without an IP address (Unix sockets) and exempt peers are not capped:
// there is nothing to tell their clients apart by.
func (lim limits) addrKey(peer net.Addr) (netip.Addr, bool) {
	var ip netip.Addr
	switch a := peer.(type) {
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	default:
		if peer == nil {
			return netip.Addr{}, false
		}
		ap, err := netip.ParseAddrPort(peer.String())
		if err != nil {
			return netip.Addr{}, false
		}
		ip = ap.Addr()
	}
	// A zone names the local interface, not the client; an IPv4-mapped address is an IPv4 client.
	ip = ip.WithZone("").Unmap()
	if !ip.IsValid() {
		return netip.Addr{}, false
	}
	for _, p := range lim.exempt {
		if p.Contains(ip) {
			return netip.Addr{}, false
		}
	}
	if ip.Is4() {
		return ip, true
	}
	return netip.PrefixFrom(ip, lim.ipv6Bits).Masked().Addr(), true
}
