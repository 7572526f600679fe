// Package ratelimit limits the request rate of each client, per class of
// request, with the GCRA limiter of github.com/throttled/throttled. Budgets live
// in an in-process store, or in Redis when several replicas must share them.
//
// # Clients
//
// A client is the network ClientKey makes of its address (see ClientIP for
// how the address is found behind proxies). An IPv4 address is a client of
// its own; an IPv4-mapped IPv6 address (::ffff:192.0.2.1) counts as the IPv4
// address it carries. IPv6 addresses share one budget per prefix of
// Config.IPv6PrefixLength bits, /64 by default: an ISP hands at least a /64
// to one customer, who can send each request from a different address of it,
// so a budget per address would be no limit at all. Set a shorter prefix
// (/56, /48) where customers get larger networks; 128 keys each address on its
// own. Both stores key budgets the same way.
//
// # The in-process store
//
// The in-process store holds at most Config.MaxKeys budgets (class and client
// pairs), so a flood of new addresses cannot grow memory without bound. A full
// store never makes room by forgetting a budget that is still recovering,
// since the client would come back to a fresh one: it drops only budgets that
// have fully recovered, which lose nothing by going. When every budget it
// holds is still recovering, a client without one is checked against an
// overflow budget of its class, which all such clients share, so a flood of
// new addresses spends that one budget instead of resetting the budgets of
// others. The store logs a warning, with the cap, when it starts to send
// clients to overflow, and an info message once it has had room for every new
// client for ten minutes. A check of a client the store holds takes O(1);
// making room takes O(log MaxKeys) amortized.
//
// While Redis is unreachable the same in-process store stands in for it, with
// the same cap and the same rules.
//
// # Redis
//
// In Redis every budget expires when it has fully recovered (to the second:
// throttled rounds the TTL down), so Redis too forgets only budgets that lose
// nothing by going, and holds at most the budgets spent within the longest
// period. Redis's own eviction under memory pressure (maxmemory with an
// eviction policy other than noeviction) would forget budgets that are still
// recovering; give Redis memory enough, or the noeviction policy, under which
// a full Redis refuses writes and the checks it refuses are made in-process.
package ratelimit
