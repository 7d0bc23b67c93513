using Kubesharp.Api.Patch;
using static Kubesharp.Api.Tests.Patch.PatchAssert;

namespace Kubesharp.Api.Tests.Patch;

/// <summary>Strategic merge patches on the other kinds of the tables, and on kinds without a table.</summary>
public sealed class StrategicMergePatchKindsTests
{
    // name, "group/version/kind", target, patch, expected result.
    public static TheoryData<string, string, string, string, string> Cases => new()
    {
        {
            "Service ports merge on port alone, so a patch for 53/TCP changes 53/UDP",
            "/v1/Service",
            """{"spec": {"ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}}""",
            """{"spec": {"ports": [{"port": 53, "protocol": "TCP", "targetPort": 5353}]}}""",
            """{"spec": {"ports": [{"name": "dns", "port": 53, "protocol": "TCP", "targetPort": 5353}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}}"""
        },
        {
            "Node podCIDRs are a set",
            "/v1/Node",
            """{"spec": {"podCIDRs": ["10.0.0.0/24"]}}""",
            """{"spec": {"podCIDRs": ["fd00::/64", "10.0.0.0/24"]}}""",
            """{"spec": {"podCIDRs": ["fd00::/64", "10.0.0.0/24"]}}"""
        },
        {
            "a kubelet status patch merges pod conditions on type",
            "/v1/Pod",
            """{"status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}], "containerStatuses": [{"name": "a", "ready": false}]}}""",
            """{"status": {"phase": "Running", "$setElementOrder/conditions": [{"type": "PodScheduled"}, {"type": "Ready"}], "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [{"name": "a", "ready": true, "started": true}]}}""",
            """{"status": {"phase": "Running", "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}], "containerStatuses": [{"name": "a", "ready": true, "started": true}]}}"""
        },
        {
            "Go's in-place slice edits decide where server-only items go",
            "/v1/Pod",
            """{"spec": {"containers": [{"name": "a"}, {"name": "injected"}, {"name": "b"}]}}""",
            """{"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}], "containers": [{"name": "c"}, {"name": "b", "$patch": "delete"}]}}""",
            """{"spec": {"containers": [{"name": "injected"}, {"name": "c"}, {"name": "a"}]}}"""
        },
        {
            "an ephemeral volume's claim template has object metadata",
            "/v1/Pod",
            """{"spec": {"volumes": [{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"metadata": {"finalizers": ["x"]}}}}]}}""",
            """{"spec": {"volumes": [{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"metadata": {"finalizers": ["y"]}}}}]}}""",
            """{"spec": {"volumes": [{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"metadata": {"finalizers": ["y", "x"]}}}}]}}"""
        },
        {
            "a CronJob's job template reaches the containers",
            "batch/v1/CronJob",
            """{"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "image": "a"}, {"name": "helper", "image": "b"}]}}}}}}""",
            """{"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "image": "c"}]}}}}}}""",
            """{"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "image": "c"}, {"name": "helper", "image": "b"}]}}}}}}"""
        },
        {
            "Job conditions merge on type",
            "batch/v1/Job",
            """{"status": {"conditions": [{"type": "Complete", "status": "False"}]}}""",
            """{"status": {"conditions": [{"type": "Failed", "status": "True"}]}}""",
            """{"status": {"conditions": [{"type": "Failed", "status": "True"}, {"type": "Complete", "status": "False"}]}}"""
        },
        {
            "StatefulSet volume claim templates have no strategy and are replaced",
            "apps/v1/StatefulSet",
            """{"spec": {"volumeClaimTemplates": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]}}""",
            """{"spec": {"volumeClaimTemplates": [{"metadata": {"name": "c"}}]}}""",
            """{"spec": {"volumeClaimTemplates": [{"metadata": {"name": "c"}}]}}"""
        },
        {
            "a DaemonSet's template reaches the containers",
            "apps/v1/DaemonSet",
            """{"spec": {"template": {"spec": {"containers": [{"name": "agent", "env": [{"name": "A", "value": "1"}]}]}}}}""",
            """{"spec": {"template": {"spec": {"containers": [{"name": "agent", "env": [{"name": "A", "value": "2"}]}]}}}}""",
            """{"spec": {"template": {"spec": {"containers": [{"name": "agent", "env": [{"name": "A", "value": "2"}]}]}}}}"""
        },
        {
            "ServiceAccount secrets merge on name",
            "/v1/ServiceAccount",
            """{"secrets": [{"name": "a"}]}""",
            """{"secrets": [{"name": "b"}]}""",
            """{"secrets": [{"name": "b"}, {"name": "a"}]}"""
        },
        {
            "ConfigMap data merges key by key",
            "/v1/ConfigMap",
            """{"data": {"a": "1", "b": "2"}}""",
            """{"data": {"a": null, "c": "3"}}""",
            """{"data": {"b": "2", "c": "3"}}"""
        },
    };

    // Patches applied without a table, or with metadata only: lists are replaced.
    public static TheoryData<string, bool, string, string, string> WithoutTable => new()
    {
        {
            "no schema: containers are replaced",
            false,
            """{"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}""",
            """{"spec": {"containers": [{"name": "b", "image": "x"}]}}""",
            """{"spec": {"containers": [{"name": "b", "image": "x"}]}}"""
        },
        {
            "no schema: finalizers are replaced",
            false,
            """{"metadata": {"finalizers": ["a"]}}""",
            """{"metadata": {"finalizers": ["b"]}}""",
            """{"metadata": {"finalizers": ["b"]}}"""
        },
        {
            "no schema: directives still apply",
            false,
            """{"metadata": {"finalizers": ["a", "b"]}, "spec": {"x": 1, "y": 2}}""",
            """{"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}, "spec": {"$retainKeys": ["x"]}}""",
            """{"metadata": {"finalizers": ["b"]}, "spec": {"x": 1}}"""
        },
        {
            "metadata only: finalizers are a set, other lists are replaced",
            true,
            """{"metadata": {"finalizers": ["a"]}, "rules": [{"verbs": ["get"]}]}""",
            """{"metadata": {"finalizers": ["b"]}, "rules": [{"verbs": ["list"]}]}""",
            """{"metadata": {"finalizers": ["b", "a"]}, "rules": [{"verbs": ["list"]}]}"""
        },
        {
            "metadata only: owner references merge on uid",
            true,
            """{"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]}}""",
            """{"metadata": {"ownerReferences": [{"uid": "1", "name": "b"}]}}""",
            """{"metadata": {"ownerReferences": [{"uid": "1", "name": "b"}]}}"""
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Patches_with_the_kinds_metadata(string name, string gvk, string target, string patch, string expected)
    {
        var parts = gvk.Split('/');
        var schema = PatchSchema.ForKind(parts[0], parts[1], parts[2]);
        Assert.NotNull(schema);

        JsonEqual(expected, StrategicMergePatch.Apply(Parse(target), Utf8(patch), schema), name);
    }

    [Theory]
    [MemberData(nameof(WithoutTable))]
    public void Patches_without_a_table(string name, bool objectMeta, string target, string patch, string expected)
    {
        var schema = objectMeta ? PatchSchema.ObjectMetaOnly : null;

        JsonEqual(expected, StrategicMergePatch.Apply(Parse(target), Utf8(patch), schema), name);
    }
}
