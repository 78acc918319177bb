package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// product is one catalogue entry. Its strings and reviews are what keeps
// the live heap pointer-rich: every GC cycle marks all of them.
type product struct {
	ID          int      `json:"id"`
	Name        string   `json:"name"`
	Brand       string   `json:"brand"`
	Category    string   `json:"category"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	PriceCents  int      `json:"price_cents"`
	Stock       int      `json:"stock"`
	Reviews     []review `json:"reviews"`
}

type review struct {
	User  string `json:"user"`
	Stars int    `json:"stars"`
	Text  string `json:"text"`
}

// catalogue is read-only after it is built, so handlers share it without
// locks. index maps each lower-case word of a product's name, brand,
// category and tags to the products holding it, in id order.
type catalogue struct {
	products []product
	index    map[string][]int32
}

var (
	adjectives = strings.Fields("blue red green black white light heavy compact classic modern vintage quiet fast smart soft rugged slim")
	nouns      = strings.Fields("kettle lamp chair desk backpack jacket headphones keyboard mug blender drill tent bottle watch speaker pillow")
	brands     = strings.Fields("acme globex initech umbrella hooli vandelay stark wayne tyrell cyberdyne")
	categories = strings.Fields("kitchen office outdoor audio home tools travel apparel")
	words      = strings.Fields("durable reliable elegant practical sturdy handy stylish versatile portable efficient ergonomic washable recycled premium budget")
)

// newCatalogue builds n products from a fixed seed, so every run serves the
// same catalogue.
func newCatalogue(n int) *catalogue {
	rng := rand.New(rand.NewPCG(42, 7))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	c := &catalogue{products: make([]product, n), index: map[string][]int32{}}
	for i := range c.products {
		p := &c.products[i]
		p.ID = i
		p.Name = pick(adjectives) + " " + pick(nouns)
		p.Brand, p.Category = pick(brands), pick(categories)
		var desc strings.Builder
		for range 12 + rng.IntN(20) {
			desc.WriteString(pick(words))
			desc.WriteByte(' ')
		}
		p.Description = strings.TrimSpace(desc.String())
		for range 2 + rng.IntN(4) {
			p.Tags = append(p.Tags, pick(words))
		}
		p.PriceCents = 199 + rng.IntN(50000)
		p.Stock = rng.IntN(500)
		for range rng.IntN(6) {
			p.Reviews = append(p.Reviews, review{
				User:  fmt.Sprintf("user%d", rng.IntN(100000)),
				Stars: 1 + rng.IntN(5),
				Text:  pick(words) + " and " + pick(words) + ", would buy again",
			})
		}
		seen := map[string]bool{}
		for _, w := range append(strings.Fields(p.Name+" "+p.Brand+" "+p.Category), p.Tags...) {
			if !seen[w] {
				seen[w] = true
				c.index[w] = append(c.index[w], int32(i))
			}
		}
	}
	return c
}

// searchHit is a product as a search lists it.
type searchHit struct {
	ID         int     `json:"id"`
	Name       string  `json:"name"`
	Brand      string  `json:"brand"`
	PriceCents int     `json:"price_cents"`
	Stars      float64 `json:"stars"`
	Snippet    string  `json:"snippet"`
}

type searchResult struct {
	Query  string         `json:"query"`
	Total  int            `json:"total"`
	Brands map[string]int `json:"brands"` // facet counts over every match
	Hits   []searchHit    `json:"hits"`
}

// search finds the products holding every word of q, best rated first,
// and counts the matches by brand. Like a real search it allocates per
// request: the match list, the facet map, the hits and their snippets.
func (c *catalogue) search(q string, limit int) searchResult {
	terms := strings.Fields(strings.ToLower(q))
	res := searchResult{Query: q, Brands: map[string]int{}}
	if len(terms) == 0 {
		return res
	}
	var matches []int32
	for i, t := range terms {
		if i == 0 {
			matches = slices.Clone(c.index[t])
			continue
		}
		matches = intersect(matches, c.index[t])
	}
	res.Total = len(matches)
	hits := make([]searchHit, 0, len(matches))
	for _, id := range matches {
		p := &c.products[id]
		res.Brands[p.Brand]++
		hits = append(hits, searchHit{ID: p.ID, Name: p.Name, Brand: p.Brand, PriceCents: p.PriceCents, Stars: stars(p)})
	}
	slices.SortStableFunc(hits, func(a, b searchHit) int {
		switch {
		case a.Stars > b.Stars:
			return -1
		case a.Stars < b.Stars:
			return 1
		}
		return a.PriceCents - b.PriceCents
	})
	res.Hits = hits[:min(limit, len(hits))]
	for i := range res.Hits {
		res.Hits[i].Snippet = snippet(c.products[res.Hits[i].ID].Description, terms)
	}
	return res
}

// intersect keeps the ids of a that are also in b; both are sorted.
func intersect(a, b []int32) []int32 {
	out := a[:0]
	j := 0
	for _, id := range a {
		for j < len(b) && b[j] < id {
			j++
		}
		if j < len(b) && b[j] == id {
			out = append(out, id)
		}
	}
	return out
}

func stars(p *product) float64 {
	if len(p.Reviews) == 0 {
		return 0
	}
	sum := 0
	for _, r := range p.Reviews {
		sum += r.Stars
	}
	return float64(sum) / float64(len(p.Reviews))
}

// snippet is the description with the query's words upper-cased.
func snippet(desc string, terms []string) string {
	fields := strings.Fields(desc)
	for i, f := range fields {
		if slices.Contains(terms, f) {
			fields[i] = strings.ToUpper(f)
		}
	}
	return strings.Join(fields, " ")
}
