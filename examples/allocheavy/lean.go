package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"runtime/trace"
	"slices"
	"strconv"
	"sync"
)

// The allocation fix gcwatch's reduce-allocation verdict asks for, applied
// to the two sites its allocs profile names first: the quote's lines
// (fmt.Sprintf per line, then sorted strings) and the response's encoding
// (json.Marshal of a quote with a map). With -lean, price writes the same
// response bytes into a pooled buffer: lines are sorted as indices and
// formatted with strconv appends, the tag totals go to a pooled map. The
// order is still decoded with encoding/json, as before.

// leanScratch is what one request reuses.
type leanScratch struct {
	order  order
	lines  []leanLine
	byTag  map[string]int64
	tags   []string
	out    []byte
	string []byte
}

type leanLine struct {
	sku, name string
	quantity  int
	cost      int64
}

var leanPool = sync.Pool{New: func() any { return &leanScratch{byTag: map[string]int64{}} }}

// priceLean is price without the per-request garbage of the quote. The
// returned bytes are a copy the caller may keep.
func (c *catalog) priceLean(ctx context.Context, body []byte) ([]byte, error) {
	s := leanPool.Get().(*leanScratch)
	defer leanPool.Put(s)
	s.order.Customer, s.order.Lines = "", s.order.Lines[:0]
	var err error
	trace.WithRegion(ctx, "decode", func() { err = json.Unmarshal(body, &s.order) })
	if err != nil {
		return nil, fmt.Errorf("decode order: %w", err)
	}
	var total int64
	trace.WithRegion(ctx, "price", func() {
		s.lines = s.lines[:0]
		clear(s.byTag)
		for _, l := range s.order.Lines {
			p, ok := c.products[l.SKU]
			if !ok {
				continue
			}
			cost := p.Price * int64(l.Quantity)
			total += cost
			for _, t := range p.Tags {
				s.byTag[t] += cost
			}
			s.lines = append(s.lines, leanLine{sku: p.SKU, name: p.Name, quantity: l.Quantity, cost: cost})
		}
		// A line's text is "SKU xQ NAME = COST" with a fixed-width SKU that
		// names one product and a one-digit quantity: ordering by SKU,
		// then quantity, is the order sort.Strings gives the text.
		slices.SortFunc(s.lines, func(a, b leanLine) int {
			return cmp.Or(cmp.Compare(a.sku, b.sku), cmp.Compare(a.quantity, b.quantity))
		})
	})
	var out []byte
	trace.WithRegion(ctx, "encode", func() { out = s.encode(s.order.Customer, total) })
	return out, nil
}

// encode writes the quote as json.Marshal writes it: fields in struct
// order, map keys sorted, strings escaped by encoding/json's rules.
func (s *leanScratch) encode(customer string, total int64) []byte {
	b := append(s.out[:0], `{"customer":`...)
	b = s.appendString(b, customer)
	b = append(b, `,"total_cents":`...)
	b = strconv.AppendInt(b, total, 10)
	b = append(b, `,"by_tag":`...)
	if len(s.byTag) == 0 {
		b = append(b, "{}"...)
	} else {
		s.tags = s.tags[:0]
		for t := range s.byTag {
			s.tags = append(s.tags, t)
		}
		slices.Sort(s.tags)
		for i, t := range s.tags {
			b = append(b, sep(i, '{'))
			b = s.appendString(b, t)
			b = append(b, ':')
			b = strconv.AppendInt(b, s.byTag[t], 10)
		}
		b = append(b, '}')
	}
	b = append(b, `,"lines":`...)
	if len(s.lines) == 0 {
		b = append(b, "null"...)
	} else {
		for i, l := range s.lines {
			b = append(b, sep(i, '['))
			line := append(s.string[:0], l.sku...)
			line = append(line, " x"...)
			line = strconv.AppendInt(line, int64(l.quantity), 10)
			line = append(line, ' ')
			line = append(line, l.name...)
			line = append(line, " = "...)
			line = strconv.AppendInt(line, l.cost, 10)
			s.string = line
			b = s.appendBytes(b, line)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	s.out = b
	return slices.Clone(b)
}

// sep is what goes before element i of a JSON list that opens with open.
func sep(i int, open byte) byte {
	if i == 0 {
		return open
	}
	return ','
}

func (s *leanScratch) appendString(b []byte, v string) []byte {
	return s.appendBytes(b, []byte(v))
}

// appendBytes appends v as a JSON string. The catalog's strings are plain
// ASCII; anything else goes through encoding/json to get its escaping.
func (s *leanScratch) appendBytes(b []byte, v []byte) []byte {
	for _, c := range v {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(string(v))
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}
