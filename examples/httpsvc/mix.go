package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// mix is the built-in load's traffic: mostly searches, then product pages,
// then cart updates and reads, each chosen from the request number so a
// run is repeatable.
type mix struct {
	base     string
	items    int
	sessions int
}

func newMix(base string, items, sessions int) *mix {
	return &mix{base: base, items: items, sessions: sessions}
}

// splitmix64 scrambles the request number into the choices below.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (m *mix) request(ctx context.Context, i int) (*http.Request, error) {
	h := splitmix64(uint64(i))
	pick := func(list []string, salt uint64) string { return list[(h>>salt)%uint64(len(list))] }
	session := fmt.Sprintf("s%d", (h>>20)%uint64(m.sessions))
	switch kind := h % 20; {
	case kind < 11: // search: one or two words
		q := pick(nouns, 8)
		if h&(1<<40) != 0 {
			q = pick(adjectives, 16) + " " + q
		} else if h&(1<<41) != 0 {
			q = pick(brands, 24) + " " + pick(categories, 32)
		}
		return http.NewRequestWithContext(ctx, http.MethodGet, m.base+"/api/search?q="+strings.ReplaceAll(q, " ", "+"), nil)
	case kind < 16:
		return http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/products/%d", m.base, (h>>8)%uint64(m.items)), nil)
	case kind < 19:
		body := fmt.Sprintf(`{"product":%d,"qty":%d}`, (h>>8)%uint64(m.items), 1+(h>>48)%3)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.base+"/api/cart/"+session, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	default:
		return http.NewRequestWithContext(ctx, http.MethodGet, m.base+"/api/cart/"+session, nil)
	}
}
