using Microsoft.Extensions.Logging;

namespace Kubesharp.Storage;

/// <summary>The storage layer's log messages, source-generated.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "opened {Path}: revision {Revision}, {Keys} live keys, compacted at {Compacted}")]
    public static partial void Opened(ILogger logger, string path, long revision, int keys, long compacted);

    [LoggerMessage(Level = LogLevel.Error, Message = "sqlite writer failed on {Path}; the batch's writes were refused")]
    public static partial void WriterFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "background compaction of {Path} failed; will retry")]
    public static partial void CompactionFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "compaction removed {Rows} rows in revisions ({From}, {To}] toward {Target}")]
    public static partial void CompactedChunk(ILogger logger, int rows, long from, long to, long target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}: removed {Rows} rows of {Keys} keys that an earlier compaction left behind at or before revision {Mark} (a key deleted since that compaction may have come back; see docs/flows/storage.md)")]
    public static partial void RepairedCompaction(ILogger logger, string path, int rows, long keys, long mark);

    [LoggerMessage(Level = LogLevel.Warning, Message = "time-to-live expiry of {Key} rev={Revision} failed; will retry")]
    public static partial void ExpiryFailed(ILogger logger, Exception exception, string key, long revision);
}
