using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>Object builders and reads for the integration tests.</summary>
internal static class TestCluster
{
    public static async Task CreateNamespaceAsync(Kubernetes client, string name) =>
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });

    public static V1ConfigMap ConfigMap(string name, params V1OwnerReference[] owners) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, OwnerReferences = owners.Length == 0 ? null : owners },
        Data = new Dictionary<string, string> { ["k"] = "v" },
    };

    public static V1OwnerReference OwnedBy(V1ConfigMap owner, bool block = true) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = block,
    };

    public static V1Pod Pod(string name, string? nodeName = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { NodeName = nodeName, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    public static async Task<V1ConfigMap?> TryReadConfigMapAsync(Kubernetes client, string ns, string name)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>A namespaced CRD <c>widgets.GROUP</c> (v1, any fields), created and waited for until Established.</summary>
    public static async Task CreateWidgetCrdAsync(Kubernetes client, string group)
    {
        var crd = KubernetesJson.Deserialize<V1CustomResourceDefinition>("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.GROUP"},
             "spec":{"group":"GROUP","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},
              "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
            """.Replace("GROUP", group, StringComparison.Ordinal));
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        await Eventually.HoldsAsync(
            async () =>
            {
                var read = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets." + group);
                var established = read.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true;
                return (established, established ? "" : "not established");
            },
            "the CRD to be established");
    }

    public static object Widget(string group, string name, params V1OwnerReference[] owners) => new Dictionary<string, object>
    {
        ["apiVersion"] = group + "/v1",
        ["kind"] = "Widget",
        ["metadata"] = owners.Length == 0
            ? new Dictionary<string, object> { ["name"] = name }
            : new Dictionary<string, object> { ["name"] = name, ["ownerReferences"] = owners },
        ["spec"] = new Dictionary<string, object> { ["size"] = 1 },
    };
}
