// Command pstest-server runs Google's in-process Pub/Sub fake (cloud.google.com/go/pubsub/v2/pstest) as a
// standalone gRPC server on a loopback address, for the speedlayer test-peer launcher.
//
// Usage: pstest-server -port 8085 [-host 127.0.0.1]
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"cloud.google.com/go/pubsub/v2/pstest"
)

func main() {
	host := flag.String("host", "127.0.0.1", "loopback address to listen on")
	port := flag.Int("port", 8085, "TCP port to listen on")
	flag.Parse()

	if ip := net.ParseIP(*host); *host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(os.Stderr, "pstest-server: -host must be a loopback address, got %q\n", *host)
		os.Exit(2)
	}
	addr := net.JoinHostPort(*host, strconv.Itoa(*port))
	// Fail early and clearly when the port is taken (pstest itself panics).
	if l, err := net.Listen("tcp", addr); err != nil {
		fmt.Fprintf(os.Stderr, "pstest-server: cannot listen on %s: %v\n", addr, err)
		os.Exit(1)
	} else {
		_ = l.Close()
	}

	srv := pstest.NewServerWithAddress(addr)
	fmt.Printf("pstest-server listening on %s\n", srv.Addr)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	_ = srv.Close()
}
