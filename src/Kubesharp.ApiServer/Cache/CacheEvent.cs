using System.Buffers;

namespace Kubesharp.ApiServer.Cache;

/// <summary>
/// One change in a resource's event window. <see cref="Object"/> is the new state (for a delete, the
/// last state with the deletion's resourceVersion); <see cref="Previous"/> the state before, which lets
/// a selector tell an object that stops matching (sent as DELETED) from one that never matched.
/// The JSON line of each event type is serialised once, by the first watcher that sends it.
/// </summary>
internal sealed class CacheEvent(bool isDelete, CachedObject obj, CachedObject? previous, long revision)
{
    private static readonly byte[][] Prefixes =
    [
        "{\"type\":\"ADDED\",\"object\":"u8.ToArray(),
        "{\"type\":\"MODIFIED\",\"object\":"u8.ToArray(),
        "{\"type\":\"DELETED\",\"object\":"u8.ToArray(),
    ];

    private readonly byte[]?[] _lines = new byte[]?[3];

    public bool IsDelete { get; } = isDelete;

    public CachedObject Object { get; } = obj;

    public CachedObject? Previous { get; } = previous;

    public long Revision { get; } = revision;

    /// <summary>Writes <c>{"type":"T","object":JSON}</c> and a newline without building the line (objects not shared by watchers).</summary>
    public static void WriteLine(IBufferWriter<byte> output, WatchEventKind kind, byte[] json)
    {
        output.Write(Prefixes[(int)kind]);
        output.Write(json);
        output.Write("}\n"u8);
    }

    /// <summary><c>{"type":"T","object":...}</c> and a newline, built once per type.</summary>
    public byte[] Line(WatchEventKind kind)
    {
        var slot = (int)kind;
        if (Volatile.Read(ref _lines[slot]) is { } line)
        {
            return line;
        }

        var prefix = Prefixes[slot];
        var json = Object.Json;
        var built = new byte[prefix.Length + json.Length + 2];
        prefix.CopyTo(built, 0);
        json.CopyTo(built, prefix.Length);
        built[^2] = (byte)'}';
        built[^1] = (byte)'\n';
        return Interlocked.CompareExchange(ref _lines[slot], built, null) ?? built;
    }
}

/// <summary>The watch event types that carry an object.</summary>
internal enum WatchEventKind
{
    Added = 0,
    Modified = 1,
    Deleted = 2,
}
