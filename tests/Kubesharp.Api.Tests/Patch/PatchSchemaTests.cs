using Kubesharp.Api.Patch;

namespace Kubesharp.Api.Tests.Patch;

public sealed class PatchSchemaTests
{
    public static TheoryData<string, string, string> TableKinds => new()
    {
        { "", "v1", "Pod" },
        { "", "v1", "PodTemplate" },
        { "", "v1", "ReplicationController" },
        { "", "v1", "Service" },
        { "", "v1", "Node" },
        { "", "v1", "Namespace" },
        { "", "v1", "ServiceAccount" },
        { "", "v1", "PersistentVolume" },
        { "", "v1", "PersistentVolumeClaim" },
        { "", "v1", "Endpoints" },
        { "", "v1", "ConfigMap" },
        { "", "v1", "Secret" },
        { "", "v1", "Event" },
        { "", "v1", "LimitRange" },
        { "", "v1", "ResourceQuota" },
        { "", "v1", "Binding" },
        { "", "v1", "ComponentStatus" },
        { "apps", "v1", "Deployment" },
        { "apps", "v1", "ReplicaSet" },
        { "apps", "v1", "StatefulSet" },
        { "apps", "v1", "DaemonSet" },
        { "apps", "v1", "ControllerRevision" },
        { "batch", "v1", "Job" },
        { "batch", "v1", "CronJob" },
    };

    public static TheoryData<string, string, string> NoTable => new()
    {
        { "stable.example.com", "v1", "CronTab" },
        { "apps", "v1beta1", "Deployment" },
        { "", "v1", "deployment" },
        { "rbac.authorization.k8s.io", "v1", "Role" },
        { "", "v2", "Pod" },
    };

    // kind, dotted path of a field, expected "strategy:mergeKey" as upstream's struct tags say.
    public static TheoryData<string, string, string> Tags => new()
    {
        { "apps/v1/Deployment", "metadata.ownerReferences", "Merge:uid" },
        { "apps/v1/Deployment", "metadata.finalizers", "Merge:" },
        { "apps/v1/Deployment", "spec.strategy", "Default::retainKeys" },
        { "apps/v1/Deployment", "spec.template.metadata.finalizers", "Merge:" },
        { "apps/v1/Deployment", "spec.template.spec.containers", "Merge:name" },
        { "apps/v1/Deployment", "spec.template.spec.containers.env", "Merge:name" },
        { "apps/v1/Deployment", "spec.template.spec.containers.ports", "Merge:containerPort" },
        { "apps/v1/Deployment", "spec.template.spec.containers.volumeMounts", "Merge:mountPath" },
        { "apps/v1/Deployment", "spec.template.spec.containers.volumeDevices", "Merge:devicePath" },
        { "apps/v1/Deployment", "spec.template.spec.initContainers.env", "Merge:name" },
        { "apps/v1/Deployment", "spec.template.spec.ephemeralContainers.volumeMounts", "Merge:mountPath" },
        { "apps/v1/Deployment", "spec.template.spec.volumes", "Merge:name:retainKeys" },
        { "apps/v1/Deployment", "spec.template.spec.imagePullSecrets", "Merge:name" },
        { "apps/v1/Deployment", "spec.template.spec.hostAliases", "Merge:ip" },
        { "apps/v1/Deployment", "spec.template.spec.topologySpreadConstraints", "Merge:topologyKey" },
        { "apps/v1/Deployment", "spec.template.spec.schedulingGates", "Merge:name" },
        { "apps/v1/Deployment", "spec.template.spec.resourceClaims", "Merge:name:retainKeys" },
        { "apps/v1/Deployment", "status.conditions", "Merge:type" },
        { "apps/v1/StatefulSet", "spec.template.spec.containers", "Merge:name" },
        { "apps/v1/ReplicaSet", "status.conditions", "Merge:type" },
        { "apps/v1/DaemonSet", "spec.template.spec.volumes", "Merge:name:retainKeys" },
        { "/v1/Pod", "status.conditions", "Merge:type" },
        { "/v1/Pod", "status.podIPs", "Merge:ip" },
        { "/v1/Pod", "status.hostIPs", "Merge:ip" },
        { "/v1/Pod", "status.resourceClaimStatuses", "Merge:name:retainKeys" },
        { "/v1/Pod", "spec.volumes.ephemeral.volumeClaimTemplate.metadata.ownerReferences", "Merge:uid" },
        { "/v1/Service", "spec.ports", "Merge:port" },
        { "/v1/Service", "status.conditions", "Merge:type" },
        { "/v1/Node", "spec.podCIDRs", "Merge:" },
        { "/v1/Node", "status.addresses", "Merge:type" },
        { "/v1/Node", "status.conditions", "Merge:type" },
        { "/v1/Namespace", "status.conditions", "Merge:type" },
        { "/v1/PersistentVolumeClaim", "status.conditions", "Merge:type" },
        { "/v1/ReplicationController", "spec.template.spec.containers", "Merge:name" },
        { "/v1/ReplicationController", "status.conditions", "Merge:type" },
        { "/v1/PodTemplate", "template.spec.containers", "Merge:name" },
        { "/v1/ServiceAccount", "secrets", "Merge:name" },
        { "/v1/ComponentStatus", "conditions", "Merge:type" },
        { "/v1/Secret", "metadata.finalizers", "Merge:" },
        { "batch/v1/Job", "spec.template.spec.containers", "Merge:name" },
        { "batch/v1/Job", "status.conditions", "Merge:type" },
        { "batch/v1/CronJob", "spec.jobTemplate.metadata.ownerReferences", "Merge:uid" },
        { "batch/v1/CronJob", "spec.jobTemplate.spec.template.spec.containers.env", "Merge:name" },
    };

    [Theory]
    [MemberData(nameof(TableKinds))]
    public void Has_every_table_kind_with_object_metadata(string group, string version, string kind)
    {
        var schema = PatchSchema.ForKind(group, version, kind);

        Assert.NotNull(schema);
        Assert.Equal("Merge:uid", Describe(schema.Root, "metadata.ownerReferences"));
        Assert.EndsWith("." + kind, schema.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(NoTable))]
    public void Has_no_schema_for_kinds_outside_the_tables(string group, string version, string kind)
    {
        Assert.Null(PatchSchema.ForKind(group, version, kind));
    }

    [Theory]
    [MemberData(nameof(Tags))]
    public void Transcribes_upstreams_struct_tags(string gvk, string path, string expected)
    {
        var parts = gvk.Split('/');

        Assert.Equal(expected, Describe(PatchSchema.ForKind(parts[0], parts[1], parts[2])!.Root, path));
    }

    [Fact]
    public void Object_meta_only_knows_owner_references_and_finalizers()
    {
        Assert.Equal("Merge:uid", Describe(PatchSchema.ObjectMetaOnly.Root, "metadata.ownerReferences"));
        Assert.Equal("Merge:", Describe(PatchSchema.ObjectMetaOnly.Root, "metadata.finalizers"));
        Assert.Equal("none", Describe(PatchSchema.ObjectMetaOnly.Root, "spec"));
    }

    [Fact]
    public void Lists_without_strategy_are_not_in_the_tables()
    {
        var deployment = PatchSchema.ForKind("apps", "v1", "Deployment")!.Root;

        Assert.Equal("none", Describe(deployment, "spec.template.spec.tolerations"));
        Assert.Equal("none", Describe(deployment, "spec.template.spec.containers.args"));
        Assert.Equal("none", Describe(PatchSchema.ForKind("", "v1", "Pod")!.Root, "status.containerStatuses"));
        Assert.Equal("none", Describe(PatchSchema.ForKind("", "v1", "Endpoints")!.Root, "subsets"));
    }

    private static string Describe(PatchType root, string path)
    {
        PatchType? type = root;
        PatchField? field = null;
        foreach (var name in path.Split('.'))
        {
            field = type?.Field(name);
            if (field is null)
            {
                return "none";
            }

            type = field.Type;
        }

        return $"{field!.Strategy}:{field.MergeKey}{(field.RetainKeys ? ":retainKeys" : "")}";
    }
}
