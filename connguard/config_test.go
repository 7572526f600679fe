package connguard

import (
	"net"
	"net/netip"
	"testing"
)

func TestAddrKey(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	tests := []struct {
		name   string
		cfg    Config
		peer   net.Addr
		key    string
		capped bool
	}{
		{"IPv4 per address", Config{}, tcp("192.0.2.7:1234"), "192.0.2.7", true},
		{"IPv4-mapped is IPv4", Config{}, tcp("[::ffff:192.0.2.7]:1234"), "192.0.2.7", true},
		{"IPv6 per /64", Config{}, tcp("[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:443"), "2001:db8:1:2::", true},
		{"IPv6 zone dropped", Config{}, tcp("[fe80::1%eth0]:443"), "fe80::", true},
		{"IPv6 per /48", Config{IPv6PrefixLength: 48}, tcp("[2001:db8:1:2::1]:443"), "2001:db8:1::", true},
		{"IPv6 per address", Config{IPv6PrefixLength: 128}, tcp("[2001:db8::1]:443"), "2001:db8::1", true},
		{"exempt proxy", Config{ExemptPeers: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
			tcp("10.1.2.3:5000"), "invalid IP", false},
		{"outside the exempt prefix", Config{ExemptPeers: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
			tcp("11.1.2.3:5000"), "11.1.2.3", true},
		{"other net.Addr", Config{}, &net.UDPAddr{IP: net.ParseIP("192.0.2.8"), Port: 53}, "192.0.2.8", true},
		{"Unix socket", Config{}, &net.UnixAddr{Name: "/run/ontohub.sock", Net: "unix"}, "invalid IP", false},
		{"no address", Config{}, nil, "invalid IP", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim, err := newLimits(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			key, capped := lim.addrKey(tc.peer)
			if key.String() != tc.key || capped != tc.capped {
				t.Errorf("addrKey(%v) = %v, %v; want %s, %v", tc.peer, key, capped, tc.key, tc.capped)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	lim, err := newLimits(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if lim.maxConns != DefaultMaxConns || lim.maxPerAddr != DefaultMaxConnsPerAddr || lim.ipv6Bits != DefaultIPv6PrefixLength {
		t.Errorf("zero Config gives %+v", lim)
	}
}
