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

    /// <summary>The address of the <c>kubernetes</c> service, put in the serving certificate.</summary>
    public string ServiceAddress { get; init; } = "10.43.0.1";

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
