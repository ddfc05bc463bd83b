// Command meshapp is the app the acceptance suite pushes to a real Cloud
// Foundry (acceptance/cf), as a Linux binary with the binary buildpack. It
// answers every path with its identity, `<app name>/<instance index>`, and
// under /proxy/<host[:port]>/<path> it calls another app (an internal
// route) and relays the answer, so a test can reach what only apps reach.
package main

import (
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	app := New(Identity(os.Getenv("VCAP_APPLICATION"), os.Getenv("CF_INSTANCE_INDEX")), &http.Client{Timeout: 10 * time.Second})
	server := &http.Server{Addr: ":" + port, Handler: app, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("meshapp %s listening on :%s", app.identity, port)
	log.Fatal(server.ListenAndServe())
}
