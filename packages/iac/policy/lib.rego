# Shared helpers of the speedlayer plan policies. Input: conftest --combine over a plan's output directory, an
# array of {path, contents}; a "stack" is one target's directory (the part of the path before terraform/,
# kubernetes/ or cloudformation/), so one run can check several targets at once.
package speedlayer.lib

import rego.v1

stack(path) := regex.replace(path, `(terraform|kubernetes|cloudformation)/.*$`, "")

# Kubernetes objects: {path, obj}.
k8s contains {"path": x.path, "obj": x.contents} if {
	some x in input
	is_object(x.contents)
	x.contents.kind
	x.contents.apiVersion
}

# Terraform resources: {path, type, name, body}.
tf contains {"path": x.path, "type": type, "name": name, "body": body} if {
	some x in input
	endswith(x.path, ".tf")
	some type, names in x.contents.resource
	some name, bodies in names
	some body in bodies
}

# CloudFormation resources: {path, id, type, props}.
cfn contains {"path": x.path, "id": id, "type": res.Type, "props": object.get(res, "Properties", {})} if {
	some x in input
	is_object(x.contents)
	is_object(x.contents.Resources)
	some id, res in x.contents.Resources
}

stacks contains stack(x.path) if some x in input

# Pod templates of workload objects: {path, obj, pod}.
pods contains {"path": o.path, "obj": o.obj, "pod": o.obj.spec.template} if {
	some o in k8s
	o.obj.kind in {"Deployment", "Job", "StatefulSet", "DaemonSet", "ReplicaSet"}
}

containers(pod) := array.concat(object.get(pod.spec, "containers", []), object.get(pod.spec, "initContainers", []))

in_stack(r, s) if stack(r.path) == s
