package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/throttled/throttled/v2"
)

// Class names. Each class has its own budget per client; the caller decides
// which class a request belongs to.
const (
	// ClassDraftCreate is the class of requests that create a draft.
	ClassDraftCreate = "draft_create"
	// ClassDraftRead is the class of GET, PATCH and DELETE requests on a draft.
	ClassDraftRead = "draft_read"
	// ClassList is the class of requests that list resources.
	ClassList = "list"
	// ClassRead is the class of GET requests for a single resource.
	ClassRead = "read"
)

// Rate is a budget of Count requests per Period. A client with a fresh budget
// may send Count requests at once; after that the budget refills evenly, one
// request every Period/Count.
type Rate struct {
	Count  int
	Period time.Duration
}

// periods are the units ParseRate accepts.
var periods = []struct {
	name     string
	duration time.Duration
}{
	{"second", time.Second},
	{"minute", time.Minute},
	{"hour", time.Hour},
	{"day", 24 * time.Hour},
}

// DefaultRates returns the budget of each class when the configuration names
// none: draft_create 20/hour, draft_read 100/minute, list 100/minute and
// read 200/minute.
func DefaultRates() map[string]Rate {
	return map[string]Rate{
		ClassDraftCreate: {Count: 20, Period: time.Hour},
		ClassDraftRead:   {Count: 100, Period: time.Minute},
		ClassList:        {Count: 100, Period: time.Minute},
		ClassRead:        {Count: 200, Period: time.Minute},
	}
}

// ParseRate parses a rate written as N/second, N/minute, N/hour or N/day,
// such as "20/hour". N must be a positive integer.
func ParseRate(s string) (Rate, error) {
	countText, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("ratelimit: rate %q: want N/second, N/minute, N/hour or N/day", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(countText))
	if err != nil || count <= 0 {
		return Rate{}, fmt.Errorf("ratelimit: rate %q: count %q is not a positive integer", s, countText)
	}
	unit = strings.ToLower(strings.TrimSpace(unit))
	for _, p := range periods {
		if p.name == unit {
			r := Rate{Count: count, Period: p.duration}
			if err := r.validate(); err != nil {
				return Rate{}, fmt.Errorf("ratelimit: rate %q: %w", s, err)
			}
			return r, nil
		}
	}
	return Rate{}, fmt.Errorf("ratelimit: rate %q: unknown period %q, want second, minute, hour or day", s, unit)
}

// String formats r the way ParseRate reads it when its period is one of the
// named units.
func (r Rate) String() string {
	for _, p := range periods {
		if p.duration == r.Period {
			return fmt.Sprintf("%d/%s", r.Count, p.name)
		}
	}
	return fmt.Sprintf("%d/%s", r.Count, r.Period)
}

func (r Rate) validate() error {
	if r.Count <= 0 {
		return fmt.Errorf("count %d is not positive", r.Count)
	}
	if r.Period <= 0 {
		return fmt.Errorf("period %s is not positive", r.Period)
	}
	// GCRA spaces requests Period/Count apart; a zero spacing would be no limit.
	if r.Period/time.Duration(r.Count) <= 0 {
		return fmt.Errorf("count %d is too large for period %s", r.Count, r.Period)
	}
	return nil
}

// quota turns r into a GCRA quota that lets exactly Count requests through
// in a fresh window: throttled allows MaxBurst+1 requests at once, so the
// burst is Count-1 on top of the sustained rate of Count per Period.
func (r Rate) quota() throttled.RateQuota {
	return throttled.RateQuota{
		MaxRate:  throttled.PerDuration(r.Count, r.Period),
		MaxBurst: r.Count - 1,
	}
}
