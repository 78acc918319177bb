package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime/trace"
	"strconv"
)

// api serves the JSON endpoints. Each request is a runtime/trace task
// named "request" with a region per step, as in the other examples, so a
// trace of the service shows where each request spent its time.
type api struct {
	cat   *catalogue
	carts *carts
	lat   *latencyMetrics
}

func (a *api) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /api/search", a.instrument("search", a.search))
	mux.Handle("GET /api/products/{id}", a.instrument("product", a.product))
	mux.Handle("GET /api/cart/{session}", a.instrument("cart_get", a.getCart))
	mux.Handle("POST /api/cart/{session}", a.instrument("cart_add", a.addToCart))
	return mux
}

// httpError is an answer other than 200, returned by a handler.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) *httpError {
	return &httpError{code, fmt.Sprintf(format, args...)}
}

// instrument runs h inside a "request" task, times it into the latency
// histogram under route, and writes its answer as JSON.
func (a *api) instrument(route string, h func(r *http.Request) (any, *httpError)) http.Handler {
	hist := a.lat.route(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer hist.observe(now())
		ctx, task := trace.NewTask(r.Context(), "request")
		defer task.End()
		r = r.WithContext(ctx)
		v, herr := h(r)
		if herr != nil {
			http.Error(w, herr.msg, herr.code)
			return
		}
		trace.WithRegion(ctx, "encode", func() {
			w.Header().Set("Content-Type", "application/json")
			if err := json.NewEncoder(w).Encode(v); err != nil {
				trace.Logf(ctx, "error", "writing the answer: %v", err)
			}
		})
	})
}

func (a *api) search(r *http.Request) (any, *httpError) {
	q := r.URL.Query()
	limit := 20
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return nil, errorf(http.StatusBadRequest, "limit %q is not a number from 1 to 1000", s)
		}
		limit = n
	}
	var res searchResult
	trace.WithRegion(r.Context(), "search", func() { res = a.cat.search(q.Get("q"), limit) })
	return res, nil
}

func (a *api) productByID(s string) (*product, *httpError) {
	id, err := strconv.Atoi(s)
	if err != nil || id < 0 || id >= len(a.cat.products) {
		return nil, errorf(http.StatusNotFound, "no product %q", s)
	}
	return &a.cat.products[id], nil
}

func (a *api) product(r *http.Request) (any, *httpError) {
	return a.productByID(r.PathValue("id"))
}

func (a *api) getCart(r *http.Request) (any, *httpError) {
	// A session without a cart has an empty one, as a shop shows it.
	c, ok := a.carts.get(r.PathValue("session"))
	if !ok {
		c = cart{Session: r.PathValue("session"), Items: []cartItem{}}
	}
	return c, nil
}

// addRequest is the body of POST /api/cart/{session}.
type addRequest struct {
	Product int `json:"product"`
	Qty     int `json:"qty"`
}

func (a *api) addToCart(r *http.Request) (any, *httpError) {
	var req addRequest
	var err error
	trace.WithRegion(r.Context(), "decode", func() {
		err = json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req)
	})
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad cart item: %v", err)
	}
	if req.Qty < 1 || req.Qty > 100 {
		return nil, errorf(http.StatusBadRequest, "qty %d is not from 1 to 100", req.Qty)
	}
	p, herr := a.productByID(strconv.Itoa(req.Product))
	if herr != nil {
		return nil, herr
	}
	var c cart
	trace.WithRegion(r.Context(), "store", func() { c = a.carts.add(r.PathValue("session"), p, req.Qty) })
	return c, nil
}
