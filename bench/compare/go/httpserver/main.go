// Command httpserver is the Go net/http server of the HTTP/1.1 plaintext benchmark.
//
//	httpserver -addr 127.0.0.1:PORT
//
// GET /plaintext and GET / answer 200 with "Content-Type: text/plain" and the
// 13-byte body "Hello, World!"; other paths answer 404. Connections are kept
// alive (net/http's default for HTTP/1.1). GOMAXPROCS is the Go default (all
// cores), as for the echo server.
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
)

var body = []byte("Hello, World!")

func plaintext(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" && r.URL.Path != "/plaintext" {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"text/plain"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	flag.Parse()
	srv := &http.Server{Addr: *addr, Handler: http.HandlerFunc(plaintext)}
	log.Printf("go http listening on %s", *addr)
	log.Fatal(srv.ListenAndServe())
}
