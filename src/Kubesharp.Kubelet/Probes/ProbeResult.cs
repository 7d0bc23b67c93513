namespace Kubesharp.Kubelet.Probes;

/// <summary>The result of one run of a probe handler (upstream's <c>probe.Result</c>).</summary>
public enum ProbeResult
{
    Success,

    /// <summary>Counts as a success, with a <c>ProbeWarning</c> event (an httpGet probe that stopped at a redirect to another host).</summary>
    Warning,

    Failure,

    /// <summary>The probe could not be run; with <see cref="ProbeOutcome.Error"/> set the result is thrown away.</summary>
    Unknown,
}

/// <summary>Which of a container's probes.</summary>
public enum ProbeKind
{
    Liveness,
    Readiness,
    Startup,
}

/// <summary>
/// One run of a probe handler: the result and the output that events show (an exec probe's combined stdout and
/// stderr, an httpGet probe's body or failure message, both at most 10 KB). <paramref name="Error"/> is set when the
/// probe could not be run at all (a named port that does not exist, the runtime unreachable): upstream's
/// <c>err != nil</c>, which records an "errored" event and does not count towards any threshold.
/// </summary>
public sealed record ProbeOutcome(ProbeResult Result, string Output, string? Error = null)
{
    internal static ProbeOutcome Errored(string error) => new(ProbeResult.Unknown, "", error);
}

/// <summary>
/// A liveness or startup probe crossed its failureThreshold for one container instance. The receiver kills the
/// container (reason <see cref="Reason"/>, grace period <see cref="GracePeriod"/>) and restarts it per the pod's
/// restartPolicy; it is raised once per container instance.
/// </summary>
/// <param name="Reason">Upstream's kill reason: <c>LivenessProbe</c> or <c>StartupProbe</c>.</param>
/// <param name="Message">Upstream's kill message for the <c>Killing</c> event: <c>Container c failed liveness probe, will be restarted</c>
/// (without ", will be restarted" under restartPolicy Never).</param>
/// <param name="Output">The last probe's output.</param>
/// <param name="GracePeriod">The pod's deletionGracePeriodSeconds, else the probe's terminationGracePeriodSeconds, else the
/// pod's terminationGracePeriodSeconds, else upstream's minimum of 2 s.</param>
public sealed record ProbeFailure(
    string PodUid,
    string ContainerName,
    string ContainerId,
    ProbeKind Kind,
    string Reason,
    string Message,
    string Output,
    TimeSpan GracePeriod);
