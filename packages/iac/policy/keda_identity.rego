# KEDA can read the lag it scales on: every ScaledObject trigger authenticates with a TriggerAuthentication that uses
# the cloud's pod identity (or, for a Kafka trigger over SASL, the group principal's password from a Secret), and the plan's IaC grants that identity what the scaler reads (AWS: the operator may
# assume the worker role; Azure: the operator's identity reads the hub and the checkpoints; GCP: the operator's
# service account reads Cloud Monitoring).
package speedlayer.keda_identity

import data.speedlayer.lib
import rego.v1

auths contains a if {
	some a in lib.k8s
	a.obj.kind == "TriggerAuthentication"
}

scaled contains s if {
	some s in lib.k8s
	s.obj.kind == "ScaledObject"
}

auth_of(s, name) := [a |
	some a in auths
	lib.stack(a.path) == lib.stack(s.path)
	a.obj.metadata.namespace == s.obj.metadata.namespace
	a.obj.metadata.name == name
]

deny contains msg if {
	some s in scaled
	some t in s.obj.spec.triggers
	not t.authenticationRef.name
	msg := sprintf("%s: ScaledObject %s: trigger %s has no authenticationRef", [s.path, s.obj.metadata.name, t.type])
}

deny contains msg if {
	some s in scaled
	some t in s.obj.spec.triggers
	found := auth_of(s, t.authenticationRef.name)
	count([a | some a in found; authenticates(a, t)]) == 0
	msg := sprintf("%s: ScaledObject %s: TriggerAuthentication %s is missing or has no cloud pod identity (or Kafka SASL credentials)", [s.path, s.obj.metadata.name, t.authenticationRef.name])
}

authenticates(a, _) if a.obj.spec.podIdentity.provider in {"aws", "azure-workload", "gcp"}

# A Kafka trigger over SASL reads lag as the group's Kafka principal: its password comes from a Secret.
authenticates(a, t) if {
	t.type == "kafka"
	t.metadata.sasl in {"plaintext", "scram_sha256", "scram_sha512"}
	some r in a.obj.spec.secretTargetRef
	r.parameter == "password"
}

provider_in(s, provider) if {
	some a in auths
	lib.stack(a.path) == s
	a.obj.spec.podIdentity.provider == provider
}

has_tf(s) if {
	some r in lib.tf
	lib.stack(r.path) == s
}

aws_granted(s) if {
	some r in lib.tf
	lib.stack(r.path) == s
	r.type == "aws_iam_role"
	regex.match(`AWS\s*=`, r.body.assume_role_policy)
	contains(r.body.assume_role_policy, `"sts:AssumeRole"`)
}

azure_granted(s) if {
	some r in lib.tf
	lib.stack(r.path) == s
	r.type == "azurerm_role_assignment"
	contains(r.body.principal_id, "keda")
	contains(r.body.scope, "azurerm_eventhub.")
}

gcp_granted(s) if {
	some r in lib.tf
	lib.stack(r.path) == s
	r.type == "google_project_iam_member"
	r.body.role == "roles/monitoring.viewer"
	contains(r.body.member, "keda-operator")
}

deny contains msg if {
	some s in lib.stacks
	has_tf(s)
	provider_in(s, "aws")
	not aws_granted(s)
	msg := sprintf("%s: KEDA assumes the worker role (aws pod identity) but no role trusts another AWS principal to assume it", [s])
}

deny contains msg if {
	some s in lib.stacks
	has_tf(s)
	provider_in(s, "azure-workload")
	not azure_granted(s)
	msg := sprintf("%s: KEDA's workload identity is granted no read access to the event hub", [s])
}

deny contains msg if {
	some s in lib.stacks
	has_tf(s)
	provider_in(s, "gcp")
	not gcp_granted(s)
	msg := sprintf("%s: KEDA's Kubernetes service account is granted no Cloud Monitoring read (roles/monitoring.viewer)", [s])
}
