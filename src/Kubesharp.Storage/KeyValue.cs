namespace Kubesharp.Storage;

/// <summary>One incarnation of a key, as stored at <see cref="ModRevision"/>.</summary>
/// <param name="Value">The JSON bytes exactly as written. Never mutate the array.</param>
public sealed record KeyValue(string Key, byte[] Value, long CreateRevision, long ModRevision);

/// <summary>What a write did.</summary>
public enum WriteStatus
{
    /// <summary>The write was applied at <see cref="WriteResult.Revision"/>.</summary>
    Ok,
    /// <summary>Create found the key live; <see cref="WriteResult.Current"/> holds it.</summary>
    AlreadyExists,
    /// <summary>The key is not live.</summary>
    NotFound,
    /// <summary>The key's mod revision was not the expected one; <see cref="WriteResult.Current"/> holds it.</summary>
    Conflict,
}

/// <summary>The outcome of a create, update or delete.</summary>
/// <param name="Revision">For <see cref="WriteStatus.Ok"/>, the revision the write took; otherwise 0.</param>
/// <param name="Current">Ok: the value written (for a delete, the value deleted). AlreadyExists and
/// Conflict: the live value that stopped the write. NotFound: null.</param>
public readonly record struct WriteResult(WriteStatus Status, long Revision, KeyValue? Current)
{
    public bool Succeeded => Status == WriteStatus.Ok;

    public static WriteResult NotFound() => new(WriteStatus.NotFound, 0, null);
}

/// <summary>A page of a list.</summary>
/// <param name="Revision">The revision the whole list (every page) is consistent at.</param>
/// <param name="Continue">Resumes after the last item at <paramref name="Revision"/>; null on the last page.</param>
/// <param name="RemainingItemCount">Live keys after this page, when the backend knows it cheaply; else null.</param>
public sealed record ListResult(IReadOnlyList<KeyValue> Items, long Revision, string? Continue, long? RemainingItemCount);

public enum WatchEventType
{
    Put,
    Delete,
}

/// <summary>One change seen by a watch.</summary>
/// <param name="Kv">Put: the new value. Delete: the key with the deleted value, <see cref="KeyValue.ModRevision"/>
/// set to the deletion's revision.</param>
/// <param name="Previous">The value before the change; null for a create.</param>
public sealed record WatchEvent(WatchEventType Type, KeyValue Kv, KeyValue? Previous)
{
    public long Revision => Kv.ModRevision;

    /// <summary>True when the put created the key (no previous incarnation was live).</summary>
    public bool IsCreate => Type == WatchEventType.Put && Kv.CreateRevision == Kv.ModRevision;
}
