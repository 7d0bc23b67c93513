using System.Net.Sockets;
using Grpc.Core;

namespace Kubesharp.Storage.Etcd;

/// <summary>What an etcd gRPC failure means for the store.</summary>
internal static class EtcdErrors
{
    /// <summary>
    /// A fault of the connection or of the cluster (no leader, leader changed, request timed out) that may
    /// go away by itself: worth retrying for a while.
    /// </summary>
    public static bool IsTransient(RpcException e) => e.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted => true,
        // A stream reset by a dying server surfaces as Internal or Unknown with an I/O error underneath.
        StatusCode.Internal or StatusCode.Unknown => e.Status.DebugException is HttpRequestException or IOException or SocketException,
        _ => false,
    };

    /// <summary>
    /// True when the request certainly never reached etcd (no connection could be made), so repeating it
    /// cannot apply it twice and its first outcome is not in doubt.
    /// </summary>
    public static bool NeverSent(RpcException e)
    {
        if (e.StatusCode != StatusCode.Unavailable)
        {
            return false;
        }

        for (var inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.AddressNotAvailable })
            {
                return true;
            }
        }

        // The balancer refuses a call up front when no member is connected.
        return e.Status.Detail.StartsWith("Error connecting to subchannel", StringComparison.Ordinal);
    }

    /// <summary>etcd's ErrCompacted: <c>mvcc: required revision has been compacted</c> (OutOfRange).</summary>
    public static bool IsCompacted(RpcException e) =>
        e.StatusCode == StatusCode.OutOfRange && e.Status.Detail.Contains("has been compacted", StringComparison.Ordinal);

    /// <summary>etcd's ErrFutureRev: <c>mvcc: required revision is a future revision</c> (OutOfRange).</summary>
    public static bool IsFutureRevision(RpcException e) =>
        e.StatusCode == StatusCode.OutOfRange && e.Status.Detail.Contains("future revision", StringComparison.Ordinal);

    /// <summary>A failure that retrying will not fix, as the store reports it.</summary>
    public static StoreException Permanent(string operation, RpcException e) => e.StatusCode switch
    {
        // etcd says InvalidArgument for a request over --max-request-bytes and for malformed requests.
        StatusCode.InvalidArgument => StoreException.Invalid($"etcd refused {operation}: {e.Status.Detail}"),
        _ => StoreException.Unavailable($"etcd {operation} failed: {e.StatusCode} {e.Status.Detail}", e),
    };
}
