// Command etcd is the upstream etcd server at the version Kubernetes itself depends on, built from the
// published Go modules for the speedlayer test-peer launcher.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
