using Kubesharp.Api.Patch;
using static Kubesharp.Api.Tests.Patch.PatchAssert;

namespace Kubesharp.Api.Tests.Patch;

/// <summary>
/// Strategic merge patches against one Deployment, each case checking the part of the result it changes.
/// The expected results follow upstream's behaviour (strategicpatch in Kubernetes v1.32), as its own test
/// fixtures exercise it; the inputs are ours.
/// </summary>
public sealed class StrategicMergePatchTests
{
    private const string App = """
        {
          "name": "app",
          "image": "nginx:1.25",
          "args": ["--a", "--b"],
          "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
          "ports": [{"containerPort": 80, "protocol": "TCP"}],
          "volumeMounts": [{"name": "data", "mountPath": "/data"}]
        }
        """;

    private const string Sidecar = """{"name": "sidecar", "image": "busybox"}""";

    private const string Deployment = $$$"""
        {
          "apiVersion": "apps/v1",
          "kind": "Deployment",
          "metadata": {
            "name": "web",
            "labels": {"app": "web", "tier": "front"},
            "finalizers": ["example.com/a", "example.com/b"],
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "cfg", "uid": "u1"}]
          },
          "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
              "metadata": {"labels": {"app": "web"}},
              "spec": {
                "containers": [{{{App}}}, {{{Sidecar}}}],
                "volumes": [{"name": "data", "emptyDir": {}}],
                "tolerations": [{"key": "k1", "operator": "Exists"}]
              }
            }
          }
        }
        """;

    private static string PodSpec(string json) => """{"spec": {"template": {"spec": """ + json + "}}}";

    // name, patch, JSON pointer into the result, expected value there.
    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "a new container keeps the others and, without $setElementOrder, goes first", PodSpec("""{"containers": [{"name": "log", "image": "fluent-bit"}]}"""), "/spec/template/spec/containers", $$"""[{"name": "log", "image": "fluent-bit"}, {{App}}, {{Sidecar}}]""" },
        { "one env var changed by name", PodSpec("""{"containers": [{"name": "app", "env": [{"name": "B", "value": "3"}]}]}"""), "/spec/template/spec/containers/0/env", """[{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]""" },
        { "a new env var goes first", PodSpec("""{"containers": [{"name": "app", "env": [{"name": "C", "value": "x"}]}]}"""), "/spec/template/spec/containers/0/env", """[{"name": "C", "value": "x"}, {"name": "A", "value": "1"}, {"name": "B", "value": "2"}]""" },
        { "a container deleted with $patch: delete", PodSpec("""{"containers": [{"name": "sidecar", "$patch": "delete"}]}"""), "/spec/template/spec/containers", $"[{App}]" },
        { "deleting a container that is not there changes nothing", PodSpec("""{"containers": [{"name": "ghost", "$patch": "delete"}]}"""), "/spec/template/spec/containers", $"[{App}, {Sidecar}]" },
        { "$setElementOrder reorders the containers", PodSpec("""{"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}"""), "/spec/template/spec/containers", $"[{Sidecar}, {App}]" },
        { "$setElementOrder places a new container between the others", PodSpec("""{"$setElementOrder/containers": [{"name": "app"}, {"name": "log"}, {"name": "sidecar"}], "containers": [{"name": "log", "image": "fluent-bit"}]}"""), "/spec/template/spec/containers", $$"""[{{App}}, {"name": "log", "image": "fluent-bit"}, {{Sidecar}}]""" },
        { "kubectl apply renaming a container", PodSpec("""{"$setElementOrder/containers": [{"name": "app"}, {"name": "proxy"}], "containers": [{"name": "proxy", "image": "envoy"}, {"name": "sidecar", "$patch": "delete"}]}"""), "/spec/template/spec/containers", $$"""[{{App}}, {"name": "proxy", "image": "envoy"}]""" },
        { "a container replaced by $patch: replace in the list", PodSpec("""{"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}"""), "/spec/template/spec/containers", """[{"name": "only", "image": "x"}]""" },
        { "$deleteFromPrimitiveList removes a finalizer", """{"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a"]}}""", "/metadata/finalizers", """["example.com/b"]""" },
        { "finalizers merge as a set", """{"metadata": {"finalizers": ["example.com/c", "example.com/a"]}}""", "/metadata/finalizers", """["example.com/c", "example.com/a", "example.com/b"]""" },
        { "$setElementOrder orders finalizers", """{"metadata": {"$setElementOrder/finalizers": ["example.com/b", "example.com/a"]}}""", "/metadata/finalizers", """["example.com/b", "example.com/a"]""" },
        { "owner references merge on uid", """{"metadata": {"ownerReferences": [{"uid": "u1", "name": "cfg2"}, {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u2"}]}}""", "/metadata/ownerReferences", """[{"apiVersion": "v1", "kind": "ConfigMap", "name": "cfg2", "uid": "u1"}, {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u2"}]""" },
        { "$retainKeys switches the strategy to Recreate", """{"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}""", "/spec/strategy", """{"type": "Recreate"}""" },
        { "without $retainKeys the old rollingUpdate stays", """{"spec": {"strategy": {"type": "Recreate"}}}""", "/spec/strategy", """{"type": "Recreate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}""" },
        { "$retainKeys switches a volume's source", PodSpec("""{"volumes": [{"name": "data", "$retainKeys": ["configMap", "name"], "configMap": {"name": "cfg"}}]}"""), "/spec/template/spec/volumes", """[{"name": "data", "configMap": {"name": "cfg"}}]""" },
        { "null removes a field", PodSpec("""{"containers": [{"name": "app", "args": null, "env": null, "ports": null, "volumeMounts": null}]}"""), "/spec/template/spec/containers/0", """{"name": "app", "image": "nginx:1.25"}""" },
        { "null removes a label", """{"metadata": {"labels": {"tier": null, "team": null}}}""", "/metadata/labels", """{"app": "web"}""" },
        { "tolerations have no merge key and are replaced", PodSpec("""{"tolerations": [{"key": "k2", "operator": "Exists"}]}"""), "/spec/template/spec/tolerations", """[{"key": "k2", "operator": "Exists"}]""" },
        { "args are replaced", PodSpec("""{"containers": [{"name": "app", "args": ["--c"]}]}"""), "/spec/template/spec/containers/0/args", """["--c"]""" },
        { "$patch: replace on a map replaces it", """{"spec": {"template": {"metadata": {"$patch": "replace", "labels": {"new": "1"}}}}}""", "/spec/template/metadata", """{"labels": {"new": "1"}}""" },
        { "$patch: delete on a map leaves it empty", """{"spec": {"strategy": {"$patch": "delete"}}}""", "/spec/strategy", "{}" },
        { "volume mounts merge on mountPath", PodSpec("""{"containers": [{"name": "app", "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}]}"""), "/spec/template/spec/containers/0/volumeMounts", """[{"name": "cache", "mountPath": "/cache"}, {"name": "data", "mountPath": "/data"}]""" },
        { "container ports merge on containerPort alone", PodSpec("""{"containers": [{"name": "app", "ports": [{"containerPort": 80, "protocol": "UDP"}]}]}"""), "/spec/template/spec/containers/0/ports", """[{"containerPort": 80, "protocol": "UDP"}]""" },
        { "a merge key written 80.0 is not 80", PodSpec("""{"containers": [{"name": "app", "ports": [{"containerPort": 80.0, "name": "x"}]}]}"""), "/spec/template/spec/containers/0/ports", """[{"containerPort": 80.0, "name": "x"}, {"containerPort": 80, "protocol": "TCP"}]""" },
        { "$deleteFromPrimitiveList works on a list without strategy", PodSpec("""{"containers": [{"name": "app", "$deleteFromPrimitiveList/args": ["--a"]}]}"""), "/spec/template/spec/containers/0/args", """["--b"]""" },
        { "$deleteFromPrimitiveList adds nothing to a list the object lacks", PodSpec("""{"containers": [{"name": "sidecar", "$deleteFromPrimitiveList/args": ["x"]}]}"""), "/spec/template/spec/containers/1", Sidecar },
        { "a field the object lacks is taken without its nulls", PodSpec("""{"nodeSelector": {"disk": "ssd", "zone": null}}"""), "/spec/template/spec/nodeSelector", """{"disk": "ssd"}""" },
        { "a field the object lacks that is itself a directive is dropped", PodSpec("""{"affinity": {"$patch": "delete"}}"""), "/spec/template/spec/affinity", "null" },
        { "a new container loses its nulls and leftover directives", PodSpec("""{"containers": [{"name": "log", "image": "x", "command": null, "$setElementOrder/env": [{"name": "E"}], "env": [{"name": "E", "value": "1", "$patch": "delete"}]}]}"""), "/spec/template/spec/containers/0", """{"name": "log", "image": "x", "env": [{"name": "E", "value": "1"}]}""" },
        { "a list patched over a map is taken", """{"spec": {"strategy": ["x"]}}""", "/spec/strategy", """["x"]""" },
        { "a scalar patched over a list is taken", PodSpec("""{"containers": [{"name": "app", "args": "--c"}]}"""), "/spec/template/spec/containers/0/args", "\"--c\"" },
        { "annotations are created", """{"metadata": {"annotations": {"x": "1"}}}""", "/metadata/annotations", """{"x": "1"}""" },
        { "replicas changed", """{"spec": {"replicas": 5}}""", "/spec/replicas", "5" },
        { "$patch: replace on the whole object", """{"$patch": "replace", "kind": "X"}""", "", """{"kind": "X"}""" },
        { "a null patch changes nothing", "null", "", Deployment },
        { "an empty patch changes nothing", "{}", "", Deployment },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Patches_a_deployment_as_upstream(string name, string patch, string path, string expected)
    {
        var result = StrategicMergePatch.Apply(Parse(Deployment), Utf8(patch), PatchSchema.ForKind("apps", "v1", "Deployment"));

        JsonEqual(expected, At(result, path), name);
    }

    [Fact]
    public void Changes_the_target_in_place()
    {
        var target = Parse(Deployment);

        var result = StrategicMergePatch.Apply(target, Utf8("""{"spec": {"replicas": 3}}"""), PatchSchema.ForKind("apps", "v1", "Deployment"));

        Assert.Same(target, result);
    }

    [Fact]
    public void Refuses_a_target_that_is_not_an_object()
    {
        Assert.Throws<ArgumentException>(() => StrategicMergePatch.Apply(Parse("[]"), Utf8("{}"), null));
    }
}
