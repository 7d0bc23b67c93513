using System.Threading.Channels;
using k8s.Models;

namespace Kubesharp.Kubelet.Probes;

/// <summary>
/// Probes one container instance periodically with one of its probes, as upstream's <c>prober/worker.go</c>: the first
/// run initialDelaySeconds after the container started, then every periodSeconds on a fixed grid (late ticks are
/// dropped, like Go's ticker), or at once when triggered. Liveness and readiness wait for the startup probe. A result is
/// recorded only after successThreshold successes or failureThreshold failures in a row; a liveness or startup
/// failure puts the worker on hold for good (the container is restarted, and a new instance gets new workers).
/// Its counters are owned by its single loop.
/// </summary>
internal sealed class ProbeWorker
{
    private const int MaxProbeRetries = 3;

    private readonly ProbeManager _manager;
    private readonly ContainerProbes _target;
    private readonly V1Probe _spec;
    private readonly Channel<bool> _trigger = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private ProbeResult? _lastResult;
    private int _resultRun;
    private bool _onHold;

    public ProbeWorker(ProbeManager manager, ContainerProbes target, ProbeKind kind, V1Probe spec)
    {
        _manager = manager;
        _target = target;
        Kind = kind;
        _spec = spec;
        InitialDelay = TimeSpan.FromSeconds(Math.Max(0, spec.InitialDelaySeconds ?? 0));
        Period = TimeSpan.FromSeconds(spec.PeriodSeconds is > 0 and var period ? period : 10);
        FailureThreshold = spec.FailureThreshold is > 0 and var failures ? failures : 3;
        // Validation requires 1 for liveness and startup probes.
        SuccessThreshold = kind == ProbeKind.Readiness && spec.SuccessThreshold is > 0 and var successes ? successes : 1;
    }

    public ProbeKind Kind { get; }

    public TimeSpan InitialDelay { get; }

    public TimeSpan Period { get; }

    public int FailureThreshold { get; }

    public int SuccessThreshold { get; }

    /// <summary>Asks for a run now (upstream's manual trigger); a trigger already pending absorbs it.</summary>
    public void Trigger() => _trigger.Writer.TryWrite(true);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var time = _manager.Time;
        var next = _target.StartedAt + InitialDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            var delay = next - time.GetUtcNow();
            if (delay <= TimeSpan.Zero)
            {
                _manager.OnWaiting(_target, Kind, next);
            }
            else
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var tick = Task.Delay(delay, time, wait.Token);
                // Announced once the timer is armed: a clock moved after the announcement always reaches it.
                _manager.OnWaiting(_target, Kind, next);
                var trigger = _trigger.Reader.WaitToReadAsync(wait.Token).AsTask();
                await Task.WhenAny(tick, trigger).ConfigureAwait(false);
                await wait.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(tick, trigger).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            _trigger.Reader.TryRead(out _);
            var now = time.GetUtcNow();
            if (!await DoProbeAsync(now, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            while (next <= now)
            {
                next += Period;
            }
        }
    }

    /// <summary>One step of upstream's <c>doProbe</c>; false when the worker should stop.</summary>
    private async Task<bool> DoProbeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_onHold)
        {
            return true;
        }

        var pod = _target.Pod;
        if (pod.Metadata.DeletionTimestamp is not null && Kind is ProbeKind.Liveness or ProbeKind.Startup)
        {
            // Upstream: during graceful deletion liveness and startup stop with a last success, for a quiet shutdown.
            _manager.SetResult(_target, Kind, ProbeResult.Success);
            return false;
        }

        if (now < _target.StartedAt + InitialDelay)
        {
            return true;
        }

        var started = _manager.HasStarted(_target);
        if (Kind == ProbeKind.Startup && started)
        {
            // Nothing more to do for this instance: a restarted container gets a new worker.
            return false;
        }

        if (Kind != ProbeKind.Startup && !started)
        {
            return true;
        }

        var outcome = await RunWithRetriesAsync(pod, cancellationToken).ConfigureAwait(false);
        var result = _manager.Record(_target, Kind, outcome);
        if (result is null)
        {
            // The probe errored: upstream throws the result away.
            return true;
        }

        if (_lastResult == result)
        {
            _resultRun++;
        }
        else
        {
            _lastResult = result;
            _resultRun = 1;
        }

        if ((result == ProbeResult.Failure && _resultRun < FailureThreshold) || (result == ProbeResult.Success && _resultRun < SuccessThreshold))
        {
            return true;
        }

        _manager.SetResult(_target, Kind, result.Value);
        if (Kind is ProbeKind.Liveness or ProbeKind.Startup && result == ProbeResult.Failure)
        {
            // The container will be restarted: stop probing this instance (upstream holds until a new container id).
            _onHold = true;
            _resultRun = 0;
            await _manager.RaiseUnhealthyAsync(_target, Kind, _spec, outcome.Output).ConfigureAwait(false);
        }

        return true;
    }

    private async Task<ProbeOutcome> RunWithRetriesAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ProbeOutcome outcome = ProbeOutcome.Errored("not run");
        for (var i = 0; i < MaxProbeRetries; i++)
        {
            try
            {
                outcome = await _manager.Runner.RunAsync(pod, _target.Container, _target.ContainerId, _spec, _target.PodIp, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                outcome = ProbeOutcome.Errored(e.Message);
            }

            if (outcome.Error is null)
            {
                break;
            }
        }

        return outcome;
    }
}
