using System.Threading.Channels;
using k8s.Models;
using Kubesharp.Client.Cache;

namespace Kubesharp.Client.Tests.Cache;

/// <summary>Records each notification as a line (<c>add a 5</c>, <c>update a 5-&gt;6</c>, <c>delete a 6 unknown</c>).</summary>
internal sealed class RecordingHandler(string? throwOn = null) : IResourceEventHandler<V1ConfigMap>
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private int _concurrent;

    public ChannelReader<string> Lines => _lines.Reader;

    /// <summary>Set if two notifications were ever handled at once.</summary>
    public bool SawConcurrency { get; private set; }

    public void OnAdd(V1ConfigMap obj) => Record($"add {obj.Metadata.Name} {obj.Metadata.ResourceVersion}");

    public void OnUpdate(V1ConfigMap oldObj, V1ConfigMap newObj) =>
        Record($"update {newObj.Metadata.Name} {oldObj.Metadata.ResourceVersion}->{newObj.Metadata.ResourceVersion}");

    public void OnDelete(V1ConfigMap obj, bool finalStateUnknown) =>
        Record($"delete {obj.Metadata.Name} {obj.Metadata.ResourceVersion}{(finalStateUnknown ? " unknown" : "")}");

    private void Record(string line)
    {
        if (Interlocked.Increment(ref _concurrent) > 1)
        {
            SawConcurrency = true;
        }

        try
        {
            _lines.Writer.TryWrite(line);
            if (throwOn is not null && line.StartsWith(throwOn, StringComparison.Ordinal))
            {
                throw new InvalidOperationException("handler failure on " + line);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _concurrent);
        }
    }
}
