/**
 * The same stream conformance suite against real Google Cloud Pub/Sub, nothing skipped: Seek over topic retention
 * gives `earliest` and timestamps. Runs only in the `cloud` project (`SPEEDLAYER_CLOUD=gcp`), with Application
 * Default Credentials and `SPEEDLAYER_GCP_PROJECT` naming a project the credentials may create topics and
 * subscriptions in (roles/pubsub.editor, which also covers the snapshots the lag step creates). Topics and
 * subscriptions are unique per run and deleted by the steps.
 */
import { streamConformance } from '@speedlayer/testing/conformance';
import { describe, it } from 'vitest';

const project = process.env.SPEEDLAYER_GCP_PROJECT;

if (process.env.SPEEDLAYER_CLOUD === 'gcp' && project) {
  streamConformance({
    name: `pubsub (Google Cloud, ${project})`,
    nativeClient: 'PubSub',
    // lag: a snapshot of the group's subscription, counted on a temporary subscription (needs roles/pubsub.editor)
    uri: `pubsub://${project}`,
    // real Pub/Sub: ordered delivery and seeks take longer than on the emulator
    slowness: 3,
  });
} else {
  describe.skip('gcp-pubsub-gke stream on Google Cloud', () => {
    it('needs SPEEDLAYER_CLOUD=gcp and SPEEDLAYER_GCP_PROJECT (and Application Default Credentials)', () => {});
  });
}
