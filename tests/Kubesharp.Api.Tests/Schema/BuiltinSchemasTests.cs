using k8s.Models;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema;
using Kubesharp.Api.Schema.Models;

namespace Kubesharp.Api.Tests.Schema;

public sealed class BuiltinSchemasTests
{
    private static readonly BuiltinSchemas Schemas = BuiltinSchemas.Instance;

    public static TheoryData<Type, string> Names => new()
    {
        { typeof(V1Pod), "io.k8s.api.core.v1.Pod" },
        { typeof(V1PodSpec), "io.k8s.api.core.v1.PodSpec" },
        { typeof(V1PodTemplateSpec), "io.k8s.api.core.v1.PodTemplateSpec" },
        { typeof(V1ObjectMeta), "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
        { typeof(V1LabelSelector), "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector" },
        { typeof(V1Condition), "io.k8s.apimachinery.pkg.apis.meta.v1.Condition" },
        { typeof(V1Status), "io.k8s.apimachinery.pkg.apis.meta.v1.Status" },
        { typeof(V1Deployment), "io.k8s.api.apps.v1.Deployment" },
        { typeof(V1DeploymentStrategy), "io.k8s.api.apps.v1.DeploymentStrategy" },
        { typeof(V1JobSpec), "io.k8s.api.batch.v1.JobSpec" },
        { typeof(V1Scale), "io.k8s.api.autoscaling.v1.Scale" },
        { typeof(V1ScaleSpec), "io.k8s.api.autoscaling.v1.ScaleSpec" },
        { typeof(Corev1Event), "io.k8s.api.core.v1.Event" },
        { typeof(Eventsv1Event), "io.k8s.api.events.v1.Event" },
        { typeof(Eventsv1EventSeries), "io.k8s.api.events.v1.EventSeries" },
        { typeof(Rbacv1Subject), "io.k8s.api.rbac.v1.Subject" },
        { typeof(V1RoleRef), "io.k8s.api.rbac.v1.RoleRef" },
        { typeof(V1Lease), "io.k8s.api.coordination.v1.Lease" },
        { typeof(V1EndpointSlice), "io.k8s.api.discovery.v1.EndpointSlice" },
        { typeof(V1CustomResourceDefinition), "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition" },
        { typeof(V1JSONSchemaProps), "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps" },
        { typeof(IntOrString), "io.k8s.apimachinery.pkg.util.intstr.IntOrString" },
        { typeof(ResourceQuantity), "io.k8s.apimachinery.pkg.api.resource.Quantity" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Model_classes_have_upstreams_definition_names(Type type, string expected)
    {
        Assert.Equal(expected, BuiltinSchemas.DefinitionName(type));
    }

    [Fact]
    public void Every_builtin_resource_has_a_kind_and_a_list_schema_with_its_group_version_kind()
    {
        // The create-only bindings row has no list kind upstream, so no resource schema: it is described with pods/binding.
        foreach (var resource in BuiltinResources.Table.All.Where(r => r.Supports("list")))
        {
            var schema = Schemas.SchemaFor(resource);

            Assert.True(schema is not null, $"{resource.GroupVersion} {resource.Kind} has no schema");
            Assert.Contains(new GroupVersionKind(resource.Group, resource.Version, resource.Kind), schema.Kind.Kinds);
            Assert.Contains(new GroupVersionKind(resource.Group, resource.Version, resource.ListKind), schema.List.Kinds);
            Assert.True(schema.StrategicMergePatch);
            Assert.All(["apiVersion", "kind", "metadata"], field => Assert.NotNull(schema.Kind.Property(field)));
        }
    }

    [Fact]
    public void A_kind_without_a_model_has_no_schema()
    {
        var crd = new ResourceInfo("stable.example.com", "v1", "CronTab", "crontabs", "crontab", ResourceScope.Namespaced, ResourceInfo.AllVerbs, [], [], [], [], false);

        Assert.Null(Schemas.SchemaFor(crd));
    }

    [Fact]
    public void Shapes_follow_the_property_types()
    {
        var pod = Schemas.ForKind("", "v1", "Pod")!;
        var spec = pod.Property("spec")!.Schema;
        var container = spec.Property("containers")!.Schema.Items!;
        var metadata = pod.Property("metadata")!.Schema;

        Assert.Equal(SchemaShape.Object, pod.Shape);
        Assert.Equal(SchemaShape.Array, spec.Property("containers")!.Schema.Shape);
        Assert.Equal("io.k8s.api.core.v1.Container", container.Name);
        Assert.Equal(SchemaShape.Map, metadata.Property("labels")!.Schema.Shape);
        Assert.Equal(SchemaShape.String, metadata.Property("labels")!.Schema.Items!.Shape);
        Assert.Equal(("string", "date-time"), ("string", metadata.Property("creationTimestamp")!.Schema.Format));
        Assert.Equal(SchemaShape.Quantity, container.Property("resources")!.Schema.Property("limits")!.Schema.Items!.Shape);
        Assert.Equal(SchemaShape.IntOrString, container.Property("livenessProbe")!.Schema.Property("httpGet")!.Schema.Property("port")!.Schema.Shape);
        Assert.Equal("int64", spec.Property("terminationGracePeriodSeconds")!.Schema.Format);
        Assert.Equal(SchemaShape.Any, metadata.Property("managedFields")!.Schema.Items!.Property("fieldsV1")!.Schema.Shape);
        Assert.Equal("byte", Schemas.ForKind("", "v1", "Secret")!.Property("data")!.Schema.Items!.Format);
        Assert.Equal(["containerPort"], container.Property("ports")!.Schema.Items!.Required);
    }

    [Fact]
    public void Properties_are_sorted_and_cycles_are_shared_nodes()
    {
        var props = Schemas.ForKind("apiextensions.k8s.io", "v1", "CustomResourceDefinition")!
            .Property("spec")!.Schema.Property("versions")!.Schema.Items!.Property("schema")!.Schema.Property("openAPIV3Schema")!.Schema;

        Assert.Same(props, props.Property("properties")!.Schema.Items);
        Assert.Equal(props.Properties.Select(p => p.Name).Order(StringComparer.Ordinal), props.Properties.Select(p => p.Name));
        Assert.NotNull(props.Property("x-kubernetes-preserve-unknown-fields"));
    }

    [Fact]
    public void Patch_extensions_come_from_the_servers_patch_tables()
    {
        var podSpec = Schemas.ForKind("", "v1", "Pod")!.Property("spec")!.Schema;
        var meta = Schemas.ForKind("", "v1", "Pod")!.Property("metadata")!.Schema;
        var deploymentSpec = Schemas.ForKind("apps", "v1", "Deployment")!.Property("spec")!.Schema;
        var roleRules = Schemas.ForKind("rbac.authorization.k8s.io", "v1", "Role")!.Property("rules")!;

        Assert.Equal(("merge", "name"), (podSpec.Property("containers")!.PatchStrategy, podSpec.Property("containers")!.PatchMergeKey));
        Assert.Equal(("merge,retainKeys", "name"), (podSpec.Property("volumes")!.PatchStrategy, podSpec.Property("volumes")!.PatchMergeKey));
        Assert.Equal("mountPath", podSpec.Property("containers")!.Schema.Items!.Property("volumeMounts")!.PatchMergeKey);
        Assert.Equal(("merge", null, "set"), (meta.Property("finalizers")!.PatchStrategy, meta.Property("finalizers")!.PatchMergeKey, meta.Property("finalizers")!.ListType));
        Assert.Equal("uid", meta.Property("ownerReferences")!.PatchMergeKey);
        Assert.Equal("retainKeys", deploymentSpec.Property("strategy")!.PatchStrategy);
        Assert.Null(roleRules.PatchStrategy);
    }

    [Fact]
    public void Descriptions_come_from_the_packages_xml_documentation_beside_the_assembly()
    {
        var pod = Schemas.ForKind("", "v1", "Pod")!;
        var generateName = pod.Property("metadata")!.Schema.Property("generateName")!;

        Assert.True(BuiltinSchemas.HasDescriptions, "KubernetesClient.xml is not beside KubernetesClient.dll in the build output");
        Assert.StartsWith("Pod is a collection of containers that can run on a host.", pod.Description, StringComparison.Ordinal);
        Assert.StartsWith("Standard object's metadata.", pod.Property("metadata")!.Description, StringComparison.Ordinal);
        Assert.Contains("unique suffix. The provided value", generateName.Description, StringComparison.Ordinal);
        Assert.Contains("\n\nIf this field is specified and the generated name exists, the server will return a 409.", generateName.Description, StringComparison.Ordinal);
        Assert.StartsWith("Quantity is a fixed-point representation", Schemas.ForType(typeof(ResourceQuantity)).Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  one line\n  wrapped here\n  \n  second paragraph\n", "one line wrapped here\n\nsecond paragraph")]
    [InlineData("\n            single\n            ", "single")]
    public void Wrapped_documentation_is_joined_into_paragraphs(string raw, string expected)
    {
        Assert.Equal(expected, ModelDocs.Normalize(raw));
    }
}
