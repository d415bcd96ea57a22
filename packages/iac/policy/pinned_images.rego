# Every container image is pinned by digest (name@sha256:... or name@${WORKER_IMAGE_DIGEST}, filled at deploy time);
# no checkov suppression of the digest check (CKV_K8S_43) stands in for pinning.
package speedlayer.pinned_images

import data.speedlayer.lib
import rego.v1

deny contains msg if {
	some w in lib.pods
	some c in lib.containers(w.pod)
	not contains(c.image, "@")
	msg := sprintf("%s: %s %s: container %s image %s is not pinned by digest", [w.path, w.obj.kind, w.obj.metadata.name, c.name, c.image])
}

deny contains msg if {
	some o in lib.k8s
	some k, v in object.get(o.obj.metadata, "annotations", {})
	startswith(k, "checkov.io/skip")
	startswith(v, "CKV_K8S_43")
	msg := sprintf("%s: %s %s suppresses the image digest check instead of pinning the image", [o.path, o.obj.kind, o.obj.metadata.name])
}

deny contains msg if {
	some r in lib.tf
	r.type == "aws_ecs_task_definition"
	not regex.match(`image\s*=\s*"[^"]*@`, r.body.container_definitions)
	msg := sprintf("%s: task definition %s: the container image is not pinned by digest", [r.path, r.name])
}

deny contains msg if {
	some r in lib.cfn
	r.type == "AWS::ECS::TaskDefinition"
	some c in r.props.ContainerDefinitions
	not contains(json.marshal(c.Image), "@")
	msg := sprintf("%s: %s: container %s image is not pinned by digest", [r.path, r.id, c.Name])
}

# ECS API inputs (ecs/<group>.task-definition.json of the Kinesis + ECS plan).
deny contains msg if {
	some x in input
	endswith(x.path, ".task-definition.json")
	some c in x.contents.containerDefinitions
	not contains(c.image, "@")
	msg := sprintf("%s: container %s image %s is not pinned by digest", [x.path, c.name, c.image])
}
