package ratelimit

import (
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr string // substring of the error; empty for success
	}{
		{in: "20/hour", want: Rate{20, time.Hour}},
		{in: "100/minute", want: Rate{100, time.Minute}},
		{in: "1/second", want: Rate{1, time.Second}},
		{in: "5000/day", want: Rate{5000, 24 * time.Hour}},
		{in: " 7 / Minute ", want: Rate{7, time.Minute}},
		{in: "", wantErr: "want N/second"},
		{in: "20", wantErr: "want N/second"},
		{in: "20 per hour", wantErr: "want N/second"},
		{in: "x/hour", wantErr: `count "x" is not a positive integer`},
		{in: "0/hour", wantErr: `count "0" is not a positive integer`},
		{in: "-3/hour", wantErr: "not a positive integer"},
		{in: "2.5/hour", wantErr: "not a positive integer"},
		{in: "20/week", wantErr: `unknown period "week"`},
		{in: "20/", wantErr: `unknown period ""`},
		{in: "20/hours", wantErr: `unknown period "hours"`},
		{in: "2000000000/second", wantErr: "too large"},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRate(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestRateStringRoundTrips(t *testing.T) {
	for _, rate := range DefaultRates() {
		got, err := ParseRate(rate.String())
		if err != nil || got != rate {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", rate.String(), got, err, rate)
		}
	}
}
