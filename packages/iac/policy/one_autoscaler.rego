# One autoscaler per Deployment in what `kubectl apply -f kubernetes/` applies: no HPA beside a KEDA ScaledObject
# (KEDA creates its own HPA; two would fight). The HPA alternative lives under kubernetes/alternatives/.
package speedlayer.one_autoscaler

import data.speedlayer.lib
import rego.v1

applied(o) if not contains(o.path, "/alternatives/")

deny contains msg if {
	some h in lib.k8s
	h.obj.kind == "HorizontalPodAutoscaler"
	applied(h)
	some s in lib.k8s
	s.obj.kind == "ScaledObject"
	applied(s)
	lib.stack(h.path) == lib.stack(s.path)
	h.obj.metadata.namespace == s.obj.metadata.namespace
	h.obj.spec.scaleTargetRef.name == s.obj.spec.scaleTargetRef.name
	msg := sprintf("%s: HPA %s scales Deployment %s beside KEDA ScaledObject %s", [h.path, h.obj.metadata.name, h.obj.spec.scaleTargetRef.name, s.obj.metadata.name])
}
