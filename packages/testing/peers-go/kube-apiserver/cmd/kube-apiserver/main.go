// Command kube-apiserver is the upstream Kubernetes API server, built from the published Go modules
// so the speedlayer test-peer launcher can run it without Docker.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
