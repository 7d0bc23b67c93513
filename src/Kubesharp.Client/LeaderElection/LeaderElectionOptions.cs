using System.Net;

namespace Kubesharp.Client.LeaderElection;

/// <summary>
/// Leader election on one Lease (client-go's <c>LeaderElectionConfig</c>), with client-go's defaults:
/// lease 15 s, renew deadline 10 s, retry period 2 s.
/// </summary>
public sealed record LeaderElectionOptions
{
    public required string LeaseNamespace { get; init; }

    public required string LeaseName { get; init; }

    /// <summary>This candidate's identity in <c>spec.holderIdentity</c>; by default <c>hostname_uuid</c>.</summary>
    public string Identity { get; init; } = DefaultIdentity();

    /// <summary>How long others wait, from the last change they observed, before taking over a lease that is not renewed.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps retrying a failing renewal before it gives up leadership.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The pause between attempts to acquire, and between renewals.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>On a graceful stop (the run token cancelled while leading), clear the holder so that another candidate takes over at once.</summary>
    public bool ReleaseOnCancel { get; init; }

    /// <summary>Runs on becoming leader; its token is cancelled when leadership ends. It must return once cancelled.</summary>
    public Func<CancellationToken, Task>? OnStartedLeading { get; init; }

    /// <summary>Runs once when leadership ends, whether lost or given up.</summary>
    public Action? OnStoppedLeading { get; init; }

    /// <summary>Runs when the observed holder changes (including to this candidate).</summary>
    public Action<string>? OnNewLeader { get; init; }

    public static string DefaultIdentity() => $"{Dns.GetHostName()}_{Guid.NewGuid()}";

    /// <exception cref="ArgumentException">The durations do not satisfy client-go's rules.</exception>
    public void Validate()
    {
        if (LeaseDuration <= RenewDeadline)
        {
            throw new ArgumentException("leaseDuration must be greater than renewDeadline");
        }

        if (RenewDeadline <= RetryPeriod * LeaderElector.JitterFactor)
        {
            throw new ArgumentException("renewDeadline must be greater than retryPeriod*JitterFactor");
        }

        if (RetryPeriod <= TimeSpan.Zero || string.IsNullOrEmpty(Identity) || string.IsNullOrEmpty(LeaseName) || string.IsNullOrEmpty(LeaseNamespace))
        {
            throw new ArgumentException("retryPeriod, identity, lease name and namespace are required");
        }
    }
}
