package ratelimit

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Middleware limits the requests handled by next to the budget of class. It
// sets RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset on every
// response it checks; a request over the budget gets Retry-After and is
// answered by Config.OnLimited instead of next. A disabled Limiter returns
// next unchanged. Middleware panics on an unknown class, a wiring mistake.
func (l *Limiter) Middleware(class string, next http.Handler) http.Handler {
	if _, ok := l.rates[class]; !ok {
		panic(fmt.Sprintf("ratelimit: middleware for unknown class %q", class))
	}
	if !l.enabled {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := l.Allow(r.Context(), class, l.clientIP.Of(r))
		l.onDecision(class, res.Allowed, err)
		if err != nil {
			// Fail open: a limiter fault should not take the API down.
			l.log.Error("ratelimit: check failed, request let through", "class", class, "err", err)
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(res.Limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(res.Remaining))
		h.Set("RateLimit-Reset", strconv.FormatInt(ceilSeconds(res.ResetAfter), 10))
		if !res.Allowed {
			retryAfter := max(ceilSeconds(res.RetryAfter), 1)
			h.Set("Retry-After", strconv.FormatInt(retryAfter, 10))
			l.onLimited(w, r, time.Duration(retryAfter)*time.Second)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ceilSeconds rounds d up to whole seconds; negative durations count as zero.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
