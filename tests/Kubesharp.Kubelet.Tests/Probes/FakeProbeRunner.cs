using System.Collections.Concurrent;
using System.Threading.Channels;
using k8s.Models;
using Kubesharp.Kubelet.Probes;

namespace Kubesharp.Kubelet.Tests.Probes;

/// <summary>One probe run the fake runner answered: which probe, of which container instance, at what (fake) time.</summary>
internal sealed record ProbeCall(ProbeKind Kind, string ContainerId, DateTimeOffset At);

/// <summary>
/// A probe runner whose answers are scripted per kind (queued outcomes, then <see cref="Default"/>), and which announces
/// every run on <see cref="Calls"/>.
/// </summary>
internal sealed class FakeProbeRunner(TimeProvider time) : IProbeRunner
{
    private readonly ConcurrentDictionary<ProbeKind, ConcurrentQueue<ProbeOutcome>> _scripts = new();

    public ConcurrentDictionary<ProbeKind, ProbeOutcome> Default { get; } = new();

    public Channel<ProbeCall> Calls { get; } = Channel.CreateUnbounded<ProbeCall>();

    public int Count(ProbeKind kind) => _counts.GetValueOrDefault(kind);

    private readonly ConcurrentDictionary<ProbeKind, int> _counts = new();

    public void Enqueue(ProbeKind kind, params ProbeOutcome[] outcomes)
    {
        var queue = _scripts.GetOrAdd(kind, _ => new ConcurrentQueue<ProbeOutcome>());
        foreach (var outcome in outcomes)
        {
            queue.Enqueue(outcome);
        }
    }

    public Task<ProbeOutcome> RunAsync(V1Pod pod, V1Container container, string containerId, V1Probe probe, string? podIp, CancellationToken cancellationToken)
    {
        var kind = ReferenceEquals(probe, container.LivenessProbe) ? ProbeKind.Liveness
            : ReferenceEquals(probe, container.ReadinessProbe) ? ProbeKind.Readiness
            : ProbeKind.Startup;
        _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);
        Calls.Writer.TryWrite(new ProbeCall(kind, containerId, time.GetUtcNow()));
        var outcome = _scripts.TryGetValue(kind, out var queue) && queue.TryDequeue(out var next) ? next
            : Default.GetValueOrDefault(kind, new ProbeOutcome(ProbeResult.Success, ""));
        return Task.FromResult(outcome);
    }
}
