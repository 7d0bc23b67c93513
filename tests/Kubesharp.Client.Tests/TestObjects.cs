using System.Threading.Channels;
using k8s.Models;

namespace Kubesharp.Client.Tests;

internal static class TestObjects
{
    public static V1ConfigMap Cm(string name, string rv, string ns = "default", Dictionary<string, string>? labels = null, string? value = null) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, ResourceVersion = rv, Labels = labels },
        Data = value is null ? null : new Dictionary<string, string> { ["v"] = value },
    };

    public static V1ConfigMap Bookmark(string rv) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { ResourceVersion = rv },
    };

    public static V1Pod Pod(string name, string? node = null, string? ownerUid = null, string ns = "default") => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            ResourceVersion = "1",
            OwnerReferences = ownerUid is null ? null : [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "rs", Uid = ownerUid, Controller = true }],
        },
        Spec = new V1PodSpec { NodeName = node, Containers = [] },
    };

    /// <summary>Reads <paramref name="count"/> items from a channel, waiting (bounded) for each.</summary>
    public static async Task<List<string>> TakeAsync(this ChannelReader<string> reader, int count, TimeSpan? timeout = null)
    {
        var result = new List<string>();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            while (result.Count < count)
            {
                result.Add(await reader.ReadAsync(cts.Token));
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"expected {count} items, got {result.Count}: [{string.Join(", ", result)}]");
        }

        return result;
    }
}
