// Snapshots for pstest (cloud.google.com/go/pubsub/v2/pstest v2.7.0), which has none: CreateSnapshot, GetSnapshot,
// ListSnapshots, DeleteSnapshot and Seek to a snapshot, enough for speedlayer's Pub/Sub lag reading (see ../../src/stream/lag.ts).
// Test-only: build.sh copies pstest, adds this file to the package and routes Seek's snapshot case here.
//
// Semantics kept from the API reference: a snapshot retains the source subscription's unacked messages (with
// their payloads and publish times); Seek to it makes exactly those the target subscription's unacked messages;
// the snapshot's topic must be the subscription's. Not kept: messages published after the snapshot are not
// retained by it, and it never expires.
package pstest

import (
	"context"
	"strings"
	"sync"
	"time"

	pb "cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type snapshotMsg struct {
	msg         *pb.PubsubMessage
	publishTime time.Time
}

type fakeSnapshot struct {
	proto *pb.Snapshot
	msgs  []snapshotMsg
}

var (
	snapshotsMu sync.Mutex
	snapshots   = map[*GServer]map[string]*fakeSnapshot{}
)

func (s *GServer) snapshotsLocked() map[string]*fakeSnapshot {
	m := snapshots[s]
	if m == nil {
		m = map[string]*fakeSnapshot{}
		snapshots[s] = m
	}
	return m
}

// CreateSnapshot retains the unacked messages of req.Subscription under req.Name.
func (s *GServer) CreateSnapshot(_ context.Context, req *pb.CreateSnapshotRequest) (*pb.Snapshot, error) {
	if !strings.Contains(req.Name, "/snapshots/") {
		return nil, status.Errorf(codes.InvalidArgument, "bad snapshot name %q", req.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.findSubscription(req.Subscription)
	if err != nil {
		return nil, err
	}
	snapshotsMu.Lock()
	defer snapshotsMu.Unlock()
	all := s.snapshotsLocked()
	if _, ok := all[req.Name]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "snapshot %q", req.Name)
	}
	snap := &fakeSnapshot{proto: &pb.Snapshot{
		Name:       req.Name,
		Topic:      sub.proto.Topic,
		ExpireTime: timestamppb.New(s.now().Add(7 * 24 * time.Hour)),
		Labels:     req.Labels,
	}}
	for _, m := range sub.msgs {
		if m.proto == nil || m.proto.Message == nil {
			continue
		}
		snap.msgs = append(snap.msgs, snapshotMsg{msg: m.proto.Message, publishTime: m.publishTime})
	}
	all[req.Name] = snap
	return snap.proto, nil
}

// GetSnapshot returns a snapshot's metadata.
func (s *GServer) GetSnapshot(_ context.Context, req *pb.GetSnapshotRequest) (*pb.Snapshot, error) {
	snapshotsMu.Lock()
	defer snapshotsMu.Unlock()
	snap, ok := s.snapshotsLocked()[req.Snapshot]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "snapshot %q", req.Snapshot)
	}
	return snap.proto, nil
}

// ListSnapshots lists every snapshot of the project (one page).
func (s *GServer) ListSnapshots(_ context.Context, req *pb.ListSnapshotsRequest) (*pb.ListSnapshotsResponse, error) {
	snapshotsMu.Lock()
	defer snapshotsMu.Unlock()
	res := &pb.ListSnapshotsResponse{}
	for name, snap := range s.snapshotsLocked() {
		if strings.HasPrefix(name, req.Project+"/snapshots/") {
			res.Snapshots = append(res.Snapshots, snap.proto)
		}
	}
	return res, nil
}

// DeleteSnapshot removes a snapshot.
func (s *GServer) DeleteSnapshot(_ context.Context, req *pb.DeleteSnapshotRequest) (*emptypb.Empty, error) {
	snapshotsMu.Lock()
	defer snapshotsMu.Unlock()
	all := s.snapshotsLocked()
	if _, ok := all[req.Snapshot]; !ok {
		return nil, status.Errorf(codes.NotFound, "snapshot %q", req.Snapshot)
	}
	delete(all, req.Snapshot)
	return &emptypb.Empty{}, nil
}

// seekSnapshot makes the snapshot's messages the subscription's unacked messages. Called with s.mu held.
func (s *GServer) seekSnapshot(sub *subscription, name string) (*pb.SeekResponse, error) {
	snapshotsMu.Lock()
	snap, ok := s.snapshotsLocked()[name]
	snapshotsMu.Unlock()
	if !ok {
		return nil, status.Errorf(codes.NotFound, "snapshot %q", name)
	}
	if snap.proto.Topic != sub.proto.Topic {
		return nil, status.Errorf(codes.FailedPrecondition, "snapshot %q is of topic %q, not %q", name, snap.proto.Topic, sub.proto.Topic)
	}
	sub.msgs = map[string]*message{}
	for _, m := range snap.msgs {
		deliveries, acks := 0, 0
		sub.msgs[m.msg.MessageId] = &message{
			publishTime: m.publishTime,
			proto:       &pb.ReceivedMessage{AckId: m.msg.MessageId, Message: m.msg},
			deliveries:  &deliveries,
			acks:        &acks,
			streamIndex: -1,
		}
	}
	return &pb.SeekResponse{}, nil
}
