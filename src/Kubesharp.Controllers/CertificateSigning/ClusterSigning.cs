using Kubesharp.Api.Certificates;

namespace Kubesharp.Controllers.CertificateSigning;

/// <summary>
/// What the CSR signing controller signs with: the cluster CA (upstream's <c>--cluster-signing-cert-file</c> and
/// <c>--cluster-signing-key-file</c>) and the longest validity it gives (<c>--cluster-signing-duration</c>, one year by
/// default); a request's <c>spec.expirationSeconds</c> can only shorten it. Immutable, thread-safe.
/// </summary>
public sealed class ClusterSigning
{
    /// <summary>Upstream's default <c>--cluster-signing-duration</c>: 8760h.</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromHours(8760);

    public ClusterSigning(CertificateAuthority authority, TimeSpan? duration = null)
    {
        var ttl = duration ?? DefaultDuration;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero, nameof(duration));
        Authority = authority;
        Duration = ttl;
    }

    public CertificateAuthority Authority { get; }

    public TimeSpan Duration { get; }

    /// <summary>Reads the CA certificate and its private key (both PEM). Throws when a file is missing or they do not match.</summary>
    public static ClusterSigning Load(string certificateFile, string keyFile, TimeSpan? duration = null) =>
        new(CertificateAuthority.LoadFromPemFiles(certificateFile, keyFile), duration);
}
