// Command allocheavy is a service with a small live heap and a heavy
// allocation rate: every request decodes a JSON order, builds maps and
// strings to price it, and encodes a response, all of it garbage once the
// request ends. With the default GOGC the heap goal stays small, so the GC
// runs many short cycles and allocating goroutines are drafted into mark
// assists.
//
// With -fixed the same service runs with its hot path fixed, as a code
// review after a reduce-allocation verdict would leave it: each request's
// scratch (the body buffer, the decoded order, the per-tag totals, the
// response) comes from a pool and is reused, and the quote is written with
// strconv appends instead of fmt.Sprintf strings and encoding/json. The
// work per request and the response bytes stay the same.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gcwatch/gcwatch/examples/internal/harness"
)

const program = "allocheavy"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
}

// catalog is the live heap: a few MB of products looked up by every request.
type catalog struct {
	products map[string]product
	skus     []string
}

type product struct {
	SKU   string
	Name  string
	Price int64 // cents
	Tags  []string
}

func newCatalog(n int) *catalog {
	c := &catalog{products: make(map[string]product, n)}
	for i := range n {
		sku := fmt.Sprintf("SKU-%06d", i)
		c.products[sku] = product{
			SKU:   sku,
			Name:  strings.Repeat(fmt.Sprintf("item %d ", i), 4),
			Price: int64(100 + i%9000),
			Tags:  []string{"tag" + fmt.Sprint(i%17), "tag" + fmt.Sprint(i%5)},
		}
		c.skus = append(c.skus, sku)
	}
	return c
}

type order struct {
	Customer string      `json:"customer"`
	Lines    []orderLine `json:"lines"`
}

type orderLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

type quote struct {
	Customer string           `json:"customer"`
	Total    int64            `json:"total_cents"`
	ByTag    map[string]int64 `json:"by_tag"`
	Lines    []string         `json:"lines"`
}

// requestBody makes the JSON a client would send; it is built per request
// because a real server would read fresh bytes from the network.
func (c *catalog) requestBody(id, lines int) []byte {
	o := order{Customer: fmt.Sprintf("customer-%d", id%1000)}
	for i := range lines {
		sku := c.skus[(id*31+i*7)%len(c.skus)]
		o.Lines = append(o.Lines, orderLine{SKU: sku, Quantity: 1 + (id+i)%4})
	}
	b, _ := json.Marshal(o)
	return b
}

func (c *catalog) price(ctx context.Context, body []byte) ([]byte, error) {
	var o order
	var err error
	trace.WithRegion(ctx, "decode", func() { err = json.Unmarshal(body, &o) })
	if err != nil {
		return nil, fmt.Errorf("decode order: %w", err)
	}
	q := quote{Customer: o.Customer, ByTag: map[string]int64{}}
	trace.WithRegion(ctx, "price", func() {
		for _, l := range o.Lines {
			p, ok := c.products[l.SKU]
			if !ok {
				continue
			}
			cost := p.Price * int64(l.Quantity)
			q.Total += cost
			for _, t := range p.Tags {
				q.ByTag[t] += cost
			}
			q.Lines = append(q.Lines, fmt.Sprintf("%s x%d %s = %d", p.SKU, l.Quantity, p.Name, cost))
		}
		sort.Strings(q.Lines)
	})
	var out []byte
	trace.WithRegion(ctx, "encode", func() { out, err = json.Marshal(q) })
	return out, err
}

// scratch is one request's reusable memory in the fixed hot path.
type scratch struct {
	body, out []byte
	order     order
	byTag     map[string]int64
	tags      []string
}

var scratchPool = sync.Pool{New: func() any { return &scratch{byTag: map[string]int64{}} }}

// appendRequestBody writes the same JSON as requestBody into buf.
func (c *catalog) appendRequestBody(buf []byte, id, lines int) []byte {
	buf = append(buf, `{"customer":"customer-`...)
	buf = strconv.AppendInt(buf, int64(id%1000), 10)
	buf = append(buf, `","lines":[`...)
	for i := range lines {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"sku":"`...)
		buf = append(buf, c.skus[(id*31+i*7)%len(c.skus)]...)
		buf = append(buf, `","quantity":`...)
		buf = strconv.AppendInt(buf, int64(1+(id+i)%4), 10)
		buf = append(buf, '}')
	}
	return append(buf, "]}"...)
}

// priceFixed is price with its hot path fixed: it decodes into the
// scratch's reused order (encoding/json reuses the slice's capacity), keeps
// the per-tag totals in a reused map, and appends the response into a
// reused buffer. The response holds the same fields as price's, its lines
// sorted by SKU (price sorts the whole line, which starts with the SKU).
func (c *catalog) priceFixed(ctx context.Context, sc *scratch) ([]byte, error) {
	o := &sc.order
	o.Lines = o.Lines[:0]
	var err error
	trace.WithRegion(ctx, "decode", func() { err = json.Unmarshal(sc.body, o) })
	if err != nil {
		return nil, fmt.Errorf("decode order: %w", err)
	}
	clear(sc.byTag)
	out := sc.out[:0]
	var total int64
	trace.WithRegion(ctx, "price", func() {
		slices.SortFunc(o.Lines, func(a, b orderLine) int { return strings.Compare(a.SKU, b.SKU) })
		out = append(out, `{"customer":`...)
		out = strconv.AppendQuote(out, o.Customer)
		out = append(out, `,"lines":[`...)
		first := true
		for _, l := range o.Lines {
			p, ok := c.products[l.SKU]
			if !ok {
				continue
			}
			cost := p.Price * int64(l.Quantity)
			total += cost
			for _, t := range p.Tags {
				sc.byTag[t] += cost
			}
			if !first {
				out = append(out, ',')
			}
			first = false
			out = append(out, '"')
			out = append(out, p.SKU...)
			out = append(out, " x"...)
			out = strconv.AppendInt(out, int64(l.Quantity), 10)
			out = append(out, ' ')
			out = append(out, p.Name...)
			out = append(out, " = "...)
			out = strconv.AppendInt(out, cost, 10)
			out = append(out, '"')
		}
	})
	trace.WithRegion(ctx, "encode", func() {
		out = append(out, `],"total_cents":`...)
		out = strconv.AppendInt(out, total, 10)
		out = append(out, `,"by_tag":{`...)
		sc.tags = sc.tags[:0]
		for t := range sc.byTag {
			sc.tags = append(sc.tags, t)
		}
		slices.Sort(sc.tags)
		for i, t := range sc.tags {
			if i > 0 {
				out = append(out, ',')
			}
			out = strconv.AppendQuote(out, t)
			out = append(out, ':')
			out = strconv.AppendInt(out, sc.byTag[t], 10)
		}
		out = append(out, "}}"...)
	})
	sc.out = out
	return out, nil
}

func run(args []string) error {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	cfg := harness.Register(fs, harness.Config{Duration: time.Second, RPS: 3000, Workers: 8})
	products := fs.Int("products", 20000, "products in the catalog (the live heap)")
	lines := fs.Int("lines", 120, "order lines per request")
	fixed := fs.Bool("fixed", false, "serve with the hot path fixed (pooled scratch, strconv appends instead of fmt.Sprintf and encoding/json for the response)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cat := newCatalog(*products)
	harness.Logf(program, "catalog of %d products ready; serving %d rps for %v", *products, cfg.RPS, cfg.Duration)

	var lat harness.Latencies
	pool := harness.NewPool(cfg.Workers, &lat)
	var bytesOut, failures atomic.Int64
	win, err := cfg.Serve(func(ctx context.Context, id int) {
		pool.Serve(ctx, func(ctx context.Context) {
			var out []byte
			var err error
			if *fixed {
				sc := scratchPool.Get().(*scratch)
				sc.body = cat.appendRequestBody(sc.body[:0], id, *lines)
				out, err = cat.priceFixed(ctx, sc)
				defer scratchPool.Put(sc)
			} else {
				out, err = cat.price(ctx, cat.requestBody(id, *lines))
			}
			if err != nil {
				failures.Add(1)
				return
			}
			bytesOut.Add(int64(len(out)))
		})
	})
	if err != nil {
		return err
	}
	s := harness.Summary{Program: program, Extra: map[string]any{"products": *products, "lines_per_request": *lines, "fixed": *fixed,
		"response_bytes": bytesOut.Load(), "failures": failures.Load()}}
	lat.Summarize(&s)
	harness.Logf(program, "served %d requests, p99 %.2f ms", s.Requests, s.P99ms)
	return s.Print(win)
}
