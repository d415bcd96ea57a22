# Every egress NetworkPolicy lets pods reach cluster DNS (UDP and TCP 53), and no pod whose egress is restricted is
# left without a policy that allows DNS (name resolution of the stream endpoints, STS, token endpoints).
package speedlayer.dns_egress

import data.speedlayer.lib
import rego.v1

policies contains p if {
	some p in lib.k8s
	p.obj.kind == "NetworkPolicy"
	"Egress" in p.obj.spec.policyTypes
}

allows_dns(np) if {
	some rule in np.spec.egress
	some u in rule.ports
	u.port == 53
	u.protocol == "UDP"
	some t in rule.ports
	t.port == 53
	t.protocol == "TCP"
}

selects(np, labels) if {
	every k, v in object.get(np.spec.podSelector, "matchLabels", {}) {
		labels[k] == v
	}
}

deny contains msg if {
	some p in policies
	count(object.get(p.obj.spec, "egress", [])) > 0
	not allows_dns(p.obj)
	msg := sprintf("%s: NetworkPolicy %s allows egress but not DNS (UDP and TCP 53 to kube-dns)", [p.path, p.obj.metadata.name])
}

deny contains msg if {
	some w in lib.pods
	labels := object.get(w.pod.metadata, "labels", {})
	restricting := [p.obj |
		some p in policies
		lib.stack(p.path) == lib.stack(w.path)
		p.obj.metadata.namespace == w.obj.metadata.namespace
		selects(p.obj, labels)
	]
	count(restricting) > 0
	count([np | some np in restricting; allows_dns(np)]) == 0
	msg := sprintf("%s: %s %s: its egress is restricted and no NetworkPolicy selecting its pods allows DNS", [w.path, w.obj.kind, w.obj.metadata.name])
}
