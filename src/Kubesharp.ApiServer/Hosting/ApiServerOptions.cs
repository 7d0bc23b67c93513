using Kubesharp.Api.Auth;

namespace Kubesharp.ApiServer.Hosting;

/// <summary>Settings of one API server.</summary>
public sealed record ApiServerOptions
{
    /// <summary>Certificates and admin.kubeconfig live here.</summary>
    public required string DataDir { get; init; }

    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>HTTPS port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 6443;

    /// <summary>The address of the <c>kubernetes</c> service, put in the serving certificate (with the first address of <see cref="ServiceCidr"/>).</summary>
    public string ServiceAddress { get; init; } = "10.43.0.1";

    /// <summary>Upstream's <c>--service-cluster-ip-range</c>: the IPv4 range cluster IPs come from; its first address is the <c>kubernetes</c> Service's.</summary>
    public string ServiceCidr { get; init; } = "10.43.0.0/16";

    /// <summary>Upstream's <c>--service-node-port-range</c> (<c>BASE-LAST</c>).</summary>
    public string NodePortRange { get; init; } = "30000-32767";

    /// <summary>
    /// Upstream's <c>--advertise-address</c>: this server's address in the <c>kubernetes</c> Service's endpoints. Null:
    /// the bind address when it is not 0.0.0.0, else the local address of the default route.
    /// </summary>
    public string? AdvertiseAddress { get; init; }

    /// <summary>How long an API server's endpoint lease lives without renewal (upstream: 15 s).</summary>
    public TimeSpan EndpointLeaseTtl { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the lease is renewed and the <c>kubernetes</c> Service and its endpoints reconciled (upstream: 10 s).</summary>
    public TimeSpan EndpointReconcileInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often <c>apiserver_storage_objects</c> is counted from storage (upstream: every minute).</summary>
    public TimeSpan StorageObjectCountInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the cluster IP and node port bitmaps are rebuilt from the Services (upstream: 3 min).</summary>
    public TimeSpan AllocationRepairInterval { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The source of random cluster IPs and node ports; null: a shared, unseeded one.</summary>
    public Random? AllocationRandom { get; init; }

    /// <summary>How long SIGTERM waits for requests in flight before closing.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Events kept per resource in the watch cache's window.</summary>
    public int WatchCacheCapacity { get; init; } = 8192;

    /// <summary>How often a watch that allows bookmarks gets one.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether a new pod's service account must exist (upstream's ServiceAccount admission). The accounts
    /// controller of the controller manager creates <c>default</c> in every namespace; an API server run
    /// without one (unit and API tests) turns the check off and still assigns the account and its volume.
    /// </summary>
    public bool RequireServiceAccounts { get; init; } = true;

    /// <summary>Upstream's <c>--token-auth-file</c>: a CSV of static bearer tokens (<c>token,user,uid,"group1,group2"</c>).</summary>
    public string? TokenAuthFile { get; init; }

    /// <summary>The <c>iss</c> of service account tokens this server issues and accepts.</summary>
    public string ServiceAccountIssuer { get; init; } = ServiceAccountTokenIssuer.DefaultIssuer;

    /// <summary>Audiences a token must carry one of to reach this API (and the default audience of TokenRequest).</summary>
    public IReadOnlyList<string> ApiAudiences { get; init; } = [ServiceAccountTokenIssuer.DefaultIssuer];

    /// <summary>Whether requests without credentials are served as <c>system:anonymous</c> (else they are 401).</summary>
    public bool AnonymousAuth { get; init; } = true;
}
