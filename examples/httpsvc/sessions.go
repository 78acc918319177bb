package main

import (
	"sync"
	"time"
)

// carts is the session store: the part of the live heap that grows and
// turns over with traffic. It holds at most max carts and drops the
// oldest session when full, as an in-memory store with a size cap does.
type carts struct {
	mu    sync.Mutex
	max   int
	byID  map[string]*cart
	order []string // session ids, oldest first (a FIFO, compacted as it is consumed)
}

type cart struct {
	Session    string     `json:"session"`
	Items      []cartItem `json:"items"`
	TotalCents int        `json:"total_cents"`
	Updated    time.Time  `json:"updated"`
}

type cartItem struct {
	Product    int    `json:"product"`
	Name       string `json:"name"`
	Qty        int    `json:"qty"`
	PriceCents int    `json:"price_cents"`
}

// maxCartItems bounds a cart, so a long run's heap stays the same size.
const maxCartItems = 64

func newCarts(max int) *carts {
	return &carts{max: max, byID: map[string]*cart{}}
}

// add puts qty of p in the session's cart and returns a copy of the cart.
func (s *carts) add(session string, p *product, qty int) cart {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.byID[session]
	if c == nil {
		c = &cart{Session: session}
		s.byID[session] = c
		s.order = append(s.order, session)
		s.evict()
	}
	if len(c.Items) == maxCartItems {
		c.TotalCents -= c.Items[0].Qty * c.Items[0].PriceCents
		c.Items = append(c.Items[:0], c.Items[1:]...)
	}
	c.Items = append(c.Items, cartItem{Product: p.ID, Name: p.Name, Qty: qty, PriceCents: p.PriceCents})
	c.TotalCents += qty * p.PriceCents
	c.Updated = time.Now()
	return c.snapshot()
}

func (s *carts) get(session string) (cart, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.byID[session]
	if c == nil {
		return cart{}, false
	}
	return c.snapshot(), true
}

func (s *carts) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

func (s *carts) evict() {
	for len(s.byID) > s.max {
		delete(s.byID, s.order[0])
		s.order = s.order[1:]
	}
}

// snapshot copies the cart so it can be encoded outside the lock.
func (c *cart) snapshot() cart {
	cp := *c
	cp.Items = append([]cartItem(nil), c.Items...)
	return cp
}
