# A plan that creates a Kubernetes cluster creates it with NetworkPolicy enforcement on, so the emitted policies are
# enforced, not decoration: EKS runs the VPC CNI with enableNetworkPolicy, AKS a network policy engine, GKE
# network policy (or Dataplane V2).
package speedlayer.netpol_enforced

import data.speedlayer.lib
import rego.v1

eks_enforced(s) if {
	some a in lib.tf
	lib.stack(a.path) == s
	a.type == "aws_eks_addon"
	a.body.addon_name == "vpc-cni"
	regex.match(`enableNetworkPolicy\s*=\s*"true"`, a.body.configuration_values)
}

deny contains msg if {
	some c in lib.tf
	c.type == "aws_eks_cluster"
	not eks_enforced(lib.stack(c.path))
	msg := sprintf("%s: EKS cluster %s has no vpc-cni add-on with enableNetworkPolicy: NetworkPolicies would not be enforced", [c.path, c.name])
}

cfn_eks_enforced(s) if {
	some a in lib.cfn
	lib.stack(a.path) == s
	a.type == "AWS::EKS::Addon"
	a.props.AddonName == "vpc-cni"
	json.unmarshal(a.props.ConfigurationValues).enableNetworkPolicy == "true"
}

deny contains msg if {
	some c in lib.cfn
	c.type == "AWS::EKS::Cluster"
	not cfn_eks_enforced(lib.stack(c.path))
	msg := sprintf("%s: EKS cluster %s has no vpc-cni add-on with enableNetworkPolicy: NetworkPolicies would not be enforced", [c.path, c.id])
}

deny contains msg if {
	some c in lib.tf
	c.type == "azurerm_kubernetes_cluster"
	not c.body.network_profile[0].network_policy in {"azure", "calico", "cilium"}
	msg := sprintf("%s: AKS cluster %s has no network policy engine (network_profile.network_policy)", [c.path, c.name])
}

gke_enforced(body) if {
	body.network_policy[0].enabled == true
	body.addons_config[0].network_policy_config[0].disabled == false
}

gke_enforced(body) if body.datapath_provider == "ADVANCED_DATAPATH"

deny contains msg if {
	some c in lib.tf
	c.type == "google_container_cluster"
	not gke_enforced(c.body)
	msg := sprintf("%s: GKE cluster %s enforces no network policy (network_policy + addon, or Dataplane V2)", [c.path, c.name])
}
