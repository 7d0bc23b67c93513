using System.Threading.Channels;
using k8s.Models;
using Kubesharp.Client.Cache;

namespace Kubesharp.Client.Tests.Cache;

/// <summary>A reflector store that records every call as a line, readable as it happens.</summary>
internal sealed class RecordingStore : IReflectorStore<V1ConfigMap>
{
    private readonly Channel<string> _ops = Channel.CreateUnbounded<string>();

    public ChannelReader<string> Ops => _ops.Reader;

    public void Replace(IReadOnlyList<V1ConfigMap> items, string resourceVersion) =>
        _ops.Writer.TryWrite($"replace {resourceVersion} [{string.Join(",", items.Select(i => i.Metadata.Name))}]");

    public void Add(V1ConfigMap obj) => _ops.Writer.TryWrite($"add {obj.Metadata.Name} {obj.Metadata.ResourceVersion}");

    public void Update(V1ConfigMap obj) => _ops.Writer.TryWrite($"update {obj.Metadata.Name} {obj.Metadata.ResourceVersion}");

    public void Delete(V1ConfigMap obj) => _ops.Writer.TryWrite($"delete {obj.Metadata.Name} {obj.Metadata.ResourceVersion}");

    public void Resync() => _ops.Writer.TryWrite("resync");
}
