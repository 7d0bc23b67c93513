namespace Kubesharp.Controllers;

/// <summary>Settings of one controller manager (upstream's kube-controller-manager flags of the same names).</summary>
public sealed record ControllerManagerOptions
{
    /// <summary>
    /// <c>--controllers</c>: <c>*</c> enables every controller on by default, <c>foo</c> enables foo, <c>-foo</c>
    /// disables foo; the first entry naming a controller decides. Upstream's pre-1.28 names are accepted as aliases.
    /// </summary>
    public IReadOnlyList<string> Controllers { get; init; } = ["*"];

    /// <summary><c>--leader-elect</c>: run the controllers only while holding the Lease <see cref="LeaseNamespace"/>/<see cref="LeaseName"/>.</summary>
    public bool LeaderElect { get; init; } = true;

    public string LeaseNamespace { get; init; } = "kube-system";

    public string LeaseName { get; init; } = "kube-controller-manager";

    /// <summary><c>--leader-elect-lease-duration</c>.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary><c>--leader-elect-renew-deadline</c>.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>--leader-elect-retry-period</c>.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The candidate's identity in the Lease; by default <c>hostname_uuid</c>, as upstream.</summary>
    public string? Identity { get; init; }

    /// <summary>
    /// <c>--use-service-account-credentials</c>: each controller calls the API as its own service account in
    /// kube-system (created if missing, with tokens from the TokenRequest API), so that RBAC grants it exactly its
    /// <c>system:controller:*</c> role. Informers, events and the Lease use the manager's own credentials. Only
    /// with a client configuration (a kubeconfig): a ready client is used as is for everything.
    /// </summary>
    public bool UseServiceAccountCredentials { get; init; } = true;

    /// <summary>Settings of the core controllers.</summary>
    public CoreControllerOptions Core { get; init; } = new();

    /// <summary>Seeds the informers' and the elector's randomness; null for an unseeded source.</summary>
    public int? Seed { get; init; }

    /// <summary>
    /// Controllers beyond the core and workload ones, built by the caller because they need material from
    /// files (the service account signing key, the cluster CA): <c>CertificateControllers.Create(...)</c>.
    /// </summary>
    public IReadOnlyList<ControllerDescriptor> Extra { get; init; } = [];
}
