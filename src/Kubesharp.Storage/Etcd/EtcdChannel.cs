using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace Kubesharp.Storage.Etcd;

/// <summary>The gRPC channel settings the store needs, applied over dotnet-etcd's defaults.</summary>
internal static class EtcdChannel
{
    public static void Configure(GrpcChannelOptions channel, EtcdStoreOptions options)
    {
        // No gRPC-level retries (EtcdCaller retries, knowing which outcomes are in doubt); balance over the
        // members that answer.
        channel.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
        // A list of many objects easily exceeds gRPC's default 4 MB receive limit.
        channel.MaxReceiveMessageSize = null;
        // dotnet-etcd turns this on, and then a deadline also surfaces as OperationCanceledException, which
        // would look like the caller's own cancellation; RpcException(DeadlineExceeded) is what we retry.
        channel.ThrowOperationCanceledOnCancellation = false;
        // The defaults back off up to two minutes between reconnects: a restarted member would stay unused
        // for that long.
        channel.InitialReconnectBackoff = TimeSpan.FromMilliseconds(100);
        channel.MaxReconnectBackoff = TimeSpan.FromSeconds(1);
        if (channel.HttpHandler is SocketsHttpHandler http)
        {
            http.ConnectTimeout = options.RequestTimeout;
            // Pings find a silently dead connection under a quiet watch. Only while calls are open: etcd
            // answers pings on an idle connection more often than every two hours with GOAWAY too_many_pings.
            http.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
            http.KeepAlivePingDelay = TimeSpan.FromSeconds(10);
            http.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
        }
    }
}
