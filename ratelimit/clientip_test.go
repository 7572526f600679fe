package ratelimit

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCIDRs(t *testing.T) {
	tests := []struct {
		in      string
		want    []netip.Prefix
		wantErr string
	}{
		{in: "", want: nil},
		{in: " , ", want: nil},
		{in: "10.0.0.0/8", want: prefixes("10.0.0.0/8")},
		{in: "10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,::1", want: prefixes("10.0.0.0/8", "192.168.1.7/32", "2001:db8::/32", "::1/128")},
		{in: "10.1.2.3/8", want: prefixes("10.0.0.0/8")},
		{in: "::ffff:192.0.2.1", want: prefixes("192.0.2.1/32")},
		{in: "10.0.0.0/8,bogus", wantErr: `"bogus"`},
		{in: "10.0.0.0/33", wantErr: `"10.0.0.0/33"`},
		{in: "10.0.0.256", wantErr: `"10.0.0.256"`},
	}
	for _, tt := range tests {
		got, err := ParseCIDRs(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseCIDRs(%q) = %v, %v; want error naming %s", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseCIDRs(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
			t.Errorf("ParseCIDRs(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestClientIPOf(t *testing.T) {
	trusted := NewClientIP(prefixes("10.0.0.0/8", "2001:db8:ffff::/48"))
	untrusted := NewClientIP(nil)
	tests := []struct {
		name   string
		c      ClientIP
		remote string
		xff    []string
		want   string
	}{
		{name: "peer without header", c: untrusted, remote: "192.0.2.1:1234", want: "192.0.2.1"},
		{name: "spoofed header from untrusted peer", c: untrusted, remote: "192.0.2.1:1234", xff: []string{"203.0.113.9"}, want: "192.0.2.1"},
		{name: "spoofed header from peer outside trusted set", c: trusted, remote: "192.0.2.1:1234", xff: []string{"203.0.113.9"}, want: "192.0.2.1"},
		{name: "trusted proxy", c: trusted, remote: "10.0.0.5:443", xff: []string{"203.0.113.9"}, want: "203.0.113.9"},
		{name: "client-supplied entry left of the real one is ignored", c: trusted, remote: "10.0.0.5:443", xff: []string{"6.6.6.6, 203.0.113.9"}, want: "203.0.113.9"},
		{name: "chain of trusted proxies skipped", c: trusted, remote: "10.0.0.5:443", xff: []string{"6.6.6.6, 203.0.113.9, 10.2.3.4", "10.9.9.9"}, want: "203.0.113.9"},
		{name: "all hops trusted gives leftmost", c: trusted, remote: "10.0.0.5:443", xff: []string{"10.1.1.1, 10.2.2.2"}, want: "10.1.1.1"},
		{name: "trusted proxy without header", c: trusted, remote: "10.0.0.5:443", want: "10.0.0.5"},
		{name: "trusted proxy with empty header", c: trusted, remote: "10.0.0.5:443", xff: []string{""}, want: "10.0.0.5"},
		{name: "malformed rightmost entry", c: trusted, remote: "10.0.0.5:443", xff: []string{"203.0.113.9, not-an-ip"}, want: "10.0.0.5"},
		{name: "malformed entry behind trusted hop", c: trusted, remote: "10.0.0.5:443", xff: []string{"garbage, 10.2.3.4"}, want: "10.0.0.5"},
		{name: "empty entry", c: trusted, remote: "10.0.0.5:443", xff: []string{"203.0.113.9, "}, want: "10.0.0.5"},
		{name: "entry with port", c: trusted, remote: "10.0.0.5:443", xff: []string{"203.0.113.9:5555"}, want: "203.0.113.9"},
		{name: "IPv6 peer", c: untrusted, remote: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "IPv6 trusted proxy and client", c: trusted, remote: "[2001:db8:ffff::2]:443", xff: []string{"2001:db8:1::7"}, want: "2001:db8:1::7"},
		{name: "IPv4-mapped peer is unmapped", c: trusted, remote: "[::ffff:10.0.0.5]:443", xff: []string{"203.0.113.9"}, want: "203.0.113.9"},
		{name: "unparseable remote address", c: trusted, remote: "@", xff: []string{"203.0.113.9"}, want: "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tt.c.Of(r).String(); got != tt.want {
				t.Errorf("Of = %s, want %s", got, tt.want)
			}
		})
	}
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}
