using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.LeaderElection;

/// <summary>
/// Leader election through a <c>coordination.k8s.io/v1</c> Lease, as client-go's <c>LeaderElector</c>.
/// <list type="number">
/// <item>Acquire: every retry period (with jitter up to 1.2×), read the lease. Create it if missing. If
/// another candidate holds it and it changed within its <c>leaseDurationSeconds</c> of when this candidate
/// last saw it change (local clock: no trust in the other's clock), wait. Otherwise write it with this
/// identity: <c>acquireTime</c> = <c>renewTime</c> = now, <c>leaseTransitions</c> + 1. Every write is a
/// compare-and-swap on the resourceVersion read, so two candidates never both win.</item>
/// <item>Lead: <see cref="LeaderElectionOptions.OnStartedLeading"/> runs with a token that is cancelled when
/// leadership ends. Every retry period, renew (<c>renewTime</c> = now); a renewal keeps retrying every retry
/// period until the renew deadline. When it misses the deadline, leadership is lost.</item>
/// <item>End: the token is cancelled, <see cref="LeaderElectionOptions.OnStoppedLeading"/> runs, and
/// <see cref="RunAsync"/> returns (as client-go's <c>Run</c>; the caller decides whether to run again).
/// On cancellation while leading with <see cref="LeaderElectionOptions.ReleaseOnCancel"/>, the holder is
/// cleared first.</item>
/// </list>
/// Time and randomness are injected. One <see cref="RunAsync"/> at a time per elector.
/// </summary>
public sealed partial class LeaderElector(ILeaseClient leases, LeaderElectionOptions options, TimeProvider time, Random random, ILogger logger)
{
    /// <summary>client-go's <c>JitterFactor</c> for acquire retries.</summary>
    public const double JitterFactor = 1.2;

    private V1Lease? _observed;
    private DateTimeOffset _observedTime;
    private string? _reportedLeader;
    private volatile bool _isLeader;

    public string Identity => options.Identity;

    public bool IsLeader => _isLeader;

    /// <summary>The holder in the lease as last read or written; null before the first read.</summary>
    public string? ObservedLeader => Volatile.Read(ref _observed)?.Spec?.HolderIdentity;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        options.Validate();
        if (!await AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // Not linked to the run token: the renew loop returns promptly on cancellation, and the finally below
        // cancels it. Not disposed: the leader's work may still hold its token.
        var leading = new CancellationTokenSource();
        _isLeader = true;
        Log.StartedLeading(logger, options.Identity, options.LeaseNamespace, options.LeaseName);
        if (options.OnStartedLeading is { } started)
        {
            // client-go does not wait for the leader's work either: it has its token, and its failures are logged.
            _ = Task.Run(() => RunLeaderWorkAsync(started, leading.Token), CancellationToken.None);
        }

        try
        {
            await RenewLoopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _isLeader = false;
            await leading.CancelAsync().ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested && options.ReleaseOnCancel)
            {
                await ReleaseAsync().ConfigureAwait(false);
            }

            Log.StoppedLeading(logger, options.Identity, options.LeaseNamespace, options.LeaseName);
            options.OnStoppedLeading?.Invoke();
        }
    }

    private async Task RunLeaderWorkAsync(Func<CancellationToken, Task> started, CancellationToken leading)
    {
        try
        {
            await started(leading).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log.LeaderWorkFailed(logger, options.Identity, e);
        }
    }

    private async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        Log.Acquiring(logger, options.Identity, options.LeaseNamespace, options.LeaseName);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            var delay = options.RetryPeriod + (options.RetryPeriod * (random.NextDouble() * JitterFactor));
            if (!await DelayAsync(delay, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Renews every retry period; returns when a renewal misses the renew deadline, or on cancellation.</summary>
    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        while (await DelayAsync(options.RetryPeriod, cancellationToken).ConfigureAwait(false))
        {
            var deadline = time.GetUtcNow() + options.RenewDeadline;
            using var deadlineReached = new CancellationTokenSource(options.RenewDeadline, time);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadlineReached.Token);
            var renewed = false;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (await TryAcquireOrRenewAsync(attempt.Token).ConfigureAwait(false))
                {
                    renewed = true;
                    break;
                }

                var left = deadline - time.GetUtcNow();
                if (left <= TimeSpan.Zero || !await DelayAsync(left < options.RetryPeriod ? left : options.RetryPeriod, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                if (time.GetUtcNow() >= deadline)
                {
                    break;
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (!renewed)
            {
                Log.LostLease(logger, options.Identity, options.LeaseNamespace, options.LeaseName, options.RenewDeadline);
                return;
            }
        }
    }

    /// <summary>One attempt to take or keep the lease; false when someone else holds it or the attempt failed.</summary>
    internal async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        try
        {
            var current = await leases.GetAsync(options.LeaseNamespace, options.LeaseName, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                var created = await leases.CreateAsync(NewLease(now), cancellationToken).ConfigureAwait(false);
                if (created is null)
                {
                    return false;
                }

                Observe(created, now);
                return true;
            }

            if (_observed?.Metadata?.ResourceVersion != current.Metadata?.ResourceVersion)
            {
                Observe(current, now);
            }

            var spec = current.Spec ?? new V1LeaseSpec();
            var holder = spec.HolderIdentity;
            var ours = holder == options.Identity;
            var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? 0);
            if (!string.IsNullOrEmpty(holder) && !ours && _observedTime + duration > now)
            {
                return false;
            }

            current.Spec = new V1LeaseSpec
            {
                HolderIdentity = options.Identity,
                LeaseDurationSeconds = (int)options.LeaseDuration.TotalSeconds,
                AcquireTime = ours && spec.AcquireTime is not null ? spec.AcquireTime : now.UtcDateTime,
                RenewTime = now.UtcDateTime,
                LeaseTransitions = ours ? spec.LeaseTransitions ?? 0 : (spec.LeaseTransitions ?? 0) + 1,
            };
            var replaced = await leases.ReplaceAsync(current, cancellationToken).ConfigureAwait(false);
            if (replaced is null)
            {
                return false;
            }

            Observe(replaced, now);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e)
        {
            Log.AttemptFailed(logger, options.Identity, options.LeaseNamespace, options.LeaseName, e);
            return false;
        }
    }

    private V1Lease NewLease(DateTimeOffset now) => new()
    {
        ApiVersion = "coordination.k8s.io/v1",
        Kind = "Lease",
        Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.LeaseNamespace },
        Spec = new V1LeaseSpec
        {
            HolderIdentity = options.Identity,
            LeaseDurationSeconds = (int)options.LeaseDuration.TotalSeconds,
            AcquireTime = now.UtcDateTime,
            RenewTime = now.UtcDateTime,
            LeaseTransitions = 0,
        },
    };

    private void Observe(V1Lease lease, DateTimeOffset now)
    {
        Volatile.Write(ref _observed, lease);
        _observedTime = now;
        var holder = lease.Spec?.HolderIdentity;
        if (!string.IsNullOrEmpty(holder) && holder != _reportedLeader)
        {
            _reportedLeader = holder;
            Log.NewLeader(logger, options.LeaseNamespace, options.LeaseName, holder);
            options.OnNewLeader?.Invoke(holder);
        }
    }

    /// <summary>Clears the holder (client-go's release: duration 1 s, times now, transitions kept), bounded by the renew deadline.</summary>
    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(options.RenewDeadline, time);
        try
        {
            var current = await leases.GetAsync(options.LeaseNamespace, options.LeaseName, timeout.Token).ConfigureAwait(false);
            if (current?.Spec?.HolderIdentity != options.Identity)
            {
                return;
            }

            var now = time.GetUtcNow().UtcDateTime;
            current.Spec = new V1LeaseSpec
            {
                HolderIdentity = null,
                LeaseDurationSeconds = 1,
                AcquireTime = now,
                RenewTime = now,
                LeaseTransitions = current.Spec.LeaseTransitions,
            };
            if (await leases.ReplaceAsync(current, timeout.Token).ConfigureAwait(false) is { } released)
            {
                Volatile.Write(ref _observed, released);
            }
        }
        catch (Exception e)
        {
            Log.ReleaseFailed(logger, options.Identity, e);
        }
    }

    private Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => time.SleepAsync(delay, cancellationToken);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "{Identity}: attempting to acquire lease {Namespace}/{Name}")]
        public static partial void Acquiring(ILogger logger, string identity, string @namespace, string name);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Identity}: acquired lease {Namespace}/{Name}")]
        public static partial void StartedLeading(ILogger logger, string identity, string @namespace, string name);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Identity}: stopped leading {Namespace}/{Name}")]
        public static partial void StoppedLeading(ILogger logger, string identity, string @namespace, string name);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity}: failed to renew lease {Namespace}/{Name} within {RenewDeadline}")]
        public static partial void LostLease(ILogger logger, string identity, string @namespace, string name, TimeSpan renewDeadline);

        [LoggerMessage(Level = LogLevel.Information, Message = "lease {Namespace}/{Name}: new leader {Holder}")]
        public static partial void NewLeader(ILogger logger, string @namespace, string name, string holder);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity}: error acquiring or renewing lease {Namespace}/{Name}")]
        public static partial void AttemptFailed(ILogger logger, string identity, string @namespace, string name, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity}: failed to release the lease")]
        public static partial void ReleaseFailed(ILogger logger, string identity, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "{Identity}: the leader's work failed")]
        public static partial void LeaderWorkFailed(ILogger logger, string identity, Exception exception);
    }
}
