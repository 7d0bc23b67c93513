namespace Kubesharp.Storage;

/// <summary>Failures that end the operation. Expected write outcomes are <see cref="WriteStatus"/> values instead.</summary>
public enum StoreErrorCode
{
    /// <summary>A key, prefix, value, revision or continue token the store does not accept. Do not retry as is.</summary>
    InvalidArgument,
    /// <summary>The requested revision is older than the kept history (the API answers 410 Gone). Re-list.</summary>
    Compacted,
    /// <summary>The backend cannot be reached or failed. For a write the outcome is unknown. Retry later.</summary>
    Unavailable,
}

/// <summary>A typed storage failure. <see cref="Code"/> says what it means and whether to retry.</summary>
public sealed class StoreException : Exception
{
    public StoreException(StoreErrorCode code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    public StoreException()
        : this(StoreErrorCode.Unavailable, "storage failure")
    {
    }

    public StoreException(string message)
        : this(StoreErrorCode.Unavailable, message)
    {
    }

    public StoreException(string message, Exception innerException)
        : this(StoreErrorCode.Unavailable, message, innerException)
    {
    }

    public StoreErrorCode Code { get; }

    /// <summary>For Compacted: the oldest revision that can still be read, when known.</summary>
    public long CompactedRevision { get; init; }

    internal static StoreException Invalid(string message) => new(StoreErrorCode.InvalidArgument, message);

    internal static StoreException Compacted(long requested, long compacted) =>
        new(StoreErrorCode.Compacted, $"required revision {requested} has been compacted (oldest kept revision is {compacted})") { CompactedRevision = compacted };

    internal static StoreException FutureRevision(long requested, long current) =>
        Invalid($"required revision {requested} is a future revision (current revision is {current})");

    internal static StoreException Unavailable(string message, Exception? inner = null) => new(StoreErrorCode.Unavailable, message, inner);
}
