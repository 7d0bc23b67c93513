using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Storage.Etcd;

internal static partial class EtcdLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "etcd {Operation} attempt {Attempt} failed ({Code} {Detail}); retrying in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string operation, int attempt, double delayMs, StatusCode code, string detail);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "etcd {Operation} gave up after {Attempt} attempts in {ElapsedMs} ms ({Code} {Detail})")]
    public static partial void GaveUp(ILogger logger, string operation, int attempt, double elapsedMs, StatusCode code, string detail);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "etcd watch on {Prefix} lost its stream ({Detail}); resuming after rev={Revision} in {DelayMs} ms")]
    public static partial void WatchReconnecting(ILogger logger, string prefix, long revision, double delayMs, string detail);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "etcd watch on {Prefix} could not be resumed after rev={Revision} for {ElapsedMs} ms; giving up")]
    public static partial void WatchGaveUp(ILogger logger, string prefix, long revision, double elapsedMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "etcd lease {LeaseId} could not be revoked; it will expire by itself")]
    public static partial void LeaseRevokeFailed(ILogger logger, long leaseId, Exception exception);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "compacted etcd to rev={Revision}")]
    public static partial void Compacted(ILogger logger, long revision);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "periodic etcd compaction failed ({Detail}); the next one retries")]
    public static partial void CompactionFailed(ILogger logger, string detail);
}
