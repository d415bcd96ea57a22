#!/bin/sh
# Builds a private pstest v2.7.0 with snapshots (snapshots.go) for the Pub/Sub lag tests, from the Go module cache the
# peer launcher filled (`npx speedlayer peers up`), offline. Usage: build.sh <out-dir>; then
#   <out-dir>/pstest-snapshots -port 8095 &
#   SPEEDLAYER_PSTEST_SNAPSHOT_HOST=127.0.0.1:8095 npx vitest run --project int adapters/gcp-pubsub-gke/test/lag.int.spec.ts
set -eu
out=$(mkdir -p "$1" && cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
peer=$(cd "$here/../../../../packages/testing/peers-go/pstest" && pwd)
export GOMODCACHE="${GOMODCACHE:-$HOME/.cache/speedlayer/go/mod}" GOFLAGS=-mod=mod GOPROXY=off GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0
src="$GOMODCACHE/cloud.google.com/go/pubsub/v2@v2.7.0"
rm -rf "$out/pubsub" "$out/main"
cp -r "$src" "$out/pubsub" && chmod -R u+w "$out/pubsub"
cp "$here/snapshots.go" "$out/pubsub/pstest/snapshots.go"
# route Seek's snapshot case (v2.7.0 answers Unimplemented) to seekSnapshot
perl -0pi -e 's/(\tcase \*pb\.SeekRequest_Time:\n\t\ttarget = v\.Time\.AsTime\(\)\n)/$1\tcase *pb.SeekRequest_Snapshot:\n\t\ts.mu.Lock()\n\t\tdefer s.mu.Unlock()\n\t\tsub, err := s.findSubscription(req.Subscription)\n\t\tif err != nil {\n\t\t\treturn nil, err\n\t\t}\n\t\treturn s.seekSnapshot(sub, v.Snapshot)\n/' "$out/pubsub/pstest/fake.go"
grep -q 'return s.seekSnapshot' "$out/pubsub/pstest/fake.go"
mkdir -p "$out/main"
cp "$peer/main.go" "$peer/go.mod" "$peer/go.sum" "$out/main/"
cd "$out/main"
go mod edit -replace "cloud.google.com/go/pubsub/v2=$out/pubsub"
go build -trimpath -o "$out/pstest-snapshots" .
echo "$out/pstest-snapshots"
