# Every topic has its dead-letter topic <topic>.dlq provisioned in the same plan, with a grant that names it (the
# worker publishes dead letters there and reads them back).
package speedlayer.dead_letters

import data.speedlayer.lib
import rego.v1

topic_types := {"kafka_topic", "aws_kinesis_stream", "azurerm_eventhub", "google_pubsub_topic"}

grant_type(t) if regex.match(`(iam_role_policy|iam_policy|role_assignment|_iam_member|_iam_binding)$`, t)

# Topics by stack and tool (terraform, cloudformation: alternatives for the same stack; kubernetes: topic Jobs):
# Terraform resources, CloudFormation streams, topic-creation Jobs.
topics contains {"stack": lib.stack(r.path), "tool": "terraform", "name": r.body.name, "path": r.path} if {
	some r in lib.tf
	r.type in topic_types
	is_string(r.body.name)
}

topics contains {"stack": lib.stack(r.path), "tool": "cloudformation", "name": r.props.Name, "path": r.path} if {
	some r in lib.cfn
	r.type == "AWS::Kinesis::Stream"
}

# Confluent Cloud topics name themselves with topic_name.
topics contains {"stack": lib.stack(r.path), "tool": "terraform", "name": r.body.topic_name, "path": r.path} if {
	some r in lib.tf
	r.type == "confluent_kafka_topic"
	is_string(r.body.topic_name)
}

# Strimzi KafkaTopic resources are applied with the other manifests.
topics contains {"stack": lib.stack(o.path), "tool": "kubernetes", "name": o.obj.spec.topicName, "path": o.path} if {
	some o in lib.k8s
	o.obj.kind == "KafkaTopic"
	is_string(o.obj.spec.topicName)
}

topics contains {"stack": lib.stack(w.path), "tool": "kubernetes", "name": c.args[2], "path": w.path} if {
	some w in lib.pods
	some c in lib.containers(w.pod)
	c.args[0] == "topic"
	c.args[1] == "create"
}

# Topics the workers consume.
consumed contains {"stack": lib.stack(w.path), "name": c.args[i + 1], "path": w.path} if {
	some w in lib.pods
	some c in lib.containers(w.pod)
	c.args[0] == "worker"
	some i, a in c.args
	a == "--topic"
}

provisioned(s, tool, name) if {
	some t in topics
	t.stack == s
	t.tool == tool
	t.name == name
}

dlq(name) := concat("", [name, ".dlq"])

# A provisioned topic needs its dead-letter topic from the same tool (or a topic Job).
deny contains msg if {
	some t in topics
	not endswith(t.name, ".dlq")
	not provisioned(t.stack, t.tool, dlq(t.name))
	not provisioned(t.stack, "kubernetes", dlq(t.name))
	msg := sprintf("%s: topic %s has no dead-letter topic %s provisioned", [t.path, t.name, dlq(t.name)])
}

tools(s) := {t.tool |
	some t in topics
	t.stack == s
	t.tool != "kubernetes"
}

# A consumed topic's dead letters go somewhere: a topic Job, or every IaC tool of the stack that provisions topics.
deny contains msg if {
	some c in consumed
	not provisioned(c.stack, "kubernetes", dlq(c.name))
	missing := [tool | some tool in tools(c.stack); not provisioned(c.stack, tool, dlq(c.name))]
	any_missing(missing, tools(c.stack))
	msg := sprintf("%s: workers consume %s but %s is not provisioned (%s)", [c.path, c.name, dlq(c.name), concat(", ", missing)])
}

any_missing(missing, _) if count(missing) > 0

any_missing(_, all) if count(all) == 0

# A Terraform dead-letter resource must be named by a grant (IAM policy, role assignment, IAM member).
deny contains msg if {
	some r in lib.tf
	r.type in topic_types
	endswith(r.body.name, ".dlq")
	address := concat(".", [r.type, r.name])
	not granted(lib.stack(r.path), address, r.body.name)
	msg := sprintf("%s: dead-letter topic %s (%s) is not granted to anyone: the worker cannot publish to it or read it", [r.path, r.body.name, address])
}

granted(s, address, name) if {
	some g in lib.tf
	lib.stack(g.path) == s
	grant_type(g.type)
	text := json.marshal(g.body)
	contains(text, address)
}

granted(s, address, name) if {
	some g in lib.tf
	lib.stack(g.path) == s
	grant_type(g.type)
	contains(json.marshal(g.body), concat("", ["/", name]))
}

deny contains msg if {
	some r in lib.cfn
	r.type == "AWS::Kinesis::Stream"
	endswith(r.props.Name, ".dlq")
	count([p |
		some p in lib.cfn
		lib.stack(p.path) == lib.stack(r.path)
		p.type == "AWS::IAM::Role"
		contains(json.marshal(p.props.Policies), r.id)
	]) == 0
	msg := sprintf("%s: dead-letter stream %s (%s) is not granted to any role", [r.path, r.props.Name, r.id])
}

# A Confluent dead-letter topic must be writable by some principal (a confluent_kafka_acl WRITE on it).
deny contains msg if {
	some r in lib.tf
	r.type == "confluent_kafka_topic"
	endswith(r.body.topic_name, ".dlq")
	not confluent_granted(lib.stack(r.path), r.body.topic_name)
	msg := sprintf("%s: dead-letter topic %s has no Kafka ACL allowing WRITE: the worker cannot publish to it", [r.path, r.body.topic_name])
}

confluent_granted(s, name) if {
	some g in lib.tf
	lib.stack(g.path) == s
	g.type == "confluent_kafka_acl"
	g.body.resource_name == name
	g.body.operation == "WRITE"
}

# A Strimzi dead-letter KafkaTopic must be writable by some KafkaUser.
deny contains msg if {
	some o in lib.k8s
	o.obj.kind == "KafkaTopic"
	endswith(o.obj.spec.topicName, ".dlq")
	not strimzi_granted(lib.stack(o.path), o.obj.spec.topicName)
	msg := sprintf("%s: dead-letter KafkaTopic %s is writable by no KafkaUser: the worker cannot publish to it", [o.path, o.obj.spec.topicName])
}

strimzi_granted(s, name) if {
	some u in lib.k8s
	lib.stack(u.path) == s
	u.obj.kind == "KafkaUser"
	some a in u.obj.spec.authorization.acls
	a.resource.name == name
	"Write" in a.operations
}
