using System.Text;
using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Kubelet.Probes;

namespace Kubesharp.Kubelet.Lifecycle;

/// <summary>
/// Runs a container's postStart and preStop handlers as upstream's <c>lifecycle.handlerRunner</c>:
/// <list type="bullet">
/// <item>exec: ExecSync with no timeout of its own; a non-zero exit fails with the command's output in the message.</item>
/// <item>httpGet: User-Agent <c>kube-lifecycle/1.32</c>, same-host redirects, no TLS verification, no timeout of its
/// own; only a transport error fails it — upstream ignores the status code of a hook's response. An HTTPS request
/// answered in plain HTTP is retried once over HTTP (event <c>LifecycleHTTPFallback</c>).</item>
/// <item>sleep: waits the seconds given on the time provider; cut short, it fails.</item>
/// <item>tcpSocket: deprecated and not runnable; upstream fails it as an invalid handler.</item>
/// </list>
/// The caller bounds a hook with <c>cancellationToken</c> (preStop: the grace period; see <see cref="RunPreStopAsync"/>),
/// records <see cref="FailedPostStartHook"/> or <see cref="FailedPreStopHook"/> with the fixed messages upstream uses
/// (the hook's own message could carry secrets), and for a failed postStart kills the container with reason
/// <see cref="FailedPostStartHook"/>. Thread-safe.
/// </summary>
public sealed class LifecycleHooks
{
    public const string FailedPostStartHook = "FailedPostStartHook";
    public const string FailedPreStopHook = "FailedPreStopHook";
    public const string PostStartHookFailedMessage = "PostStartHook failed";
    public const string PreStopHookFailedMessage = "PreStopHook failed";

    private readonly ProbeRunner _runner;
    private readonly TimeProvider _time;
    private readonly IEventRecorder? _events;

    public LifecycleHooks(ProbeRunner runner, TimeProvider time, IEventRecorder? events = null)
    {
        _runner = runner;
        _time = time;
        _events = events;
    }

    /// <summary>
    /// Runs <paramref name="handler"/> for the container; null when it succeeded, else upstream's message
    /// (<c>Exec lifecycle hook ([sh -c exit 1]) for Container "c" in Pod "name_ns(uid)" failed - error: ..., message: "..."</c>).
    /// Throws only <see cref="OperationCanceledException"/> when cancelled during an exec or httpGet hook.
    /// </summary>
    public async Task<string?> RunAsync(V1Pod pod, string containerName, string containerId, V1LifecycleHandler handler, string? podIp, CancellationToken cancellationToken)
    {
        var container = pod.Spec.Containers?.FirstOrDefault(c => c.Name == containerName)
            ?? pod.Spec.InitContainers?.FirstOrDefault(c => c.Name == containerName)
            ?? new V1Container { Name = containerName };
        var where = $"for Container \"{containerName}\" in Pod \"{PodFormat.Describe(pod)}\"";
        if (handler.Exec is { } exec)
        {
            var command = exec.Command?.ToList() ?? [];
            var error = await RunExecAsync(containerId, command, cancellationToken).ConfigureAwait(false);
            return error is null ? null
                : $"Exec lifecycle hook ([{string.Join(' ', command)}]) {where} failed - error: {error.Value.Error}, message: \"{error.Value.Output}\"";
        }

        if (handler.HttpGet is { } httpGet)
        {
            var error = await RunHttpAsync(pod, container, httpGet, podIp, cancellationToken).ConfigureAwait(false);
            return error is null ? null : $"HTTP lifecycle hook ({httpGet.Path}) {where} failed - error: {error}";
        }

        if (handler.Sleep is { } sleep)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, sleep.Seconds)), _time, cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (OperationCanceledException)
            {
                return $"Sleep lifecycle hook ({sleep.Seconds}) {where} failed - error: container terminated before sleep hook finished";
            }
        }

        // tcpSocket lands here too: upstream keeps the field for compatibility but cannot run it.
        return $"Cannot run handler: invalid handler: {Describe(handler)}";
    }

    /// <summary>
    /// Runs the postStart handler after the container started, as upstream's <c>startContainer</c>: on failure records
    /// <see cref="FailedPostStartHook"/> and returns the message; the caller then kills the container with reason
    /// <see cref="FailedPostStartHook"/> (and its start fails with upstream's <c>PostStartHookError</c>).
    /// </summary>
    public async Task<string?> RunPostStartAsync(V1Pod pod, string containerName, string containerId, V1LifecycleHandler handler, string? podIp, CancellationToken cancellationToken)
    {
        var message = await RunAsync(pod, containerName, containerId, handler, podIp, cancellationToken).ConfigureAwait(false);
        if (message is not null)
        {
            _events?.Event(ContainerReference(pod, containerName), "Warning", FailedPostStartHook, PostStartHookFailedMessage);
        }

        return message;
    }

    /// <summary>
    /// Upstream's <c>executePreStopHook</c>: runs the preStop handler for at most <paramref name="gracePeriod"/>, records
    /// <see cref="FailedPreStopHook"/> when it fails, and returns how long it took, which the caller subtracts from the
    /// grace period it then gives StopContainer (upstream keeps at least 2 s).
    /// </summary>
    public async Task<TimeSpan> RunPreStopAsync(V1Pod pod, string containerName, string containerId, V1LifecycleHandler handler, string? podIp, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        var start = _time.GetTimestamp();
        using var bounded = new CancellationTokenSource(gracePeriod, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bounded.Token);
        string? message;
        try
        {
            message = await RunAsync(pod, containerName, containerId, handler, podIp, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The grace period ran out: upstream stops waiting for the hook and goes on with the kill.
            return _time.GetElapsedTime(start);
        }

        // A hook cut short by the end of the grace period is not reported: upstream only stops waiting for it.
        if (message is not null && !bounded.IsCancellationRequested)
        {
            _events?.Event(ContainerReference(pod, containerName), "Warning", FailedPreStopHook, PreStopHookFailedMessage);
        }

        return _time.GetElapsedTime(start);
    }

    private async Task<(string Error, string Output)?> RunExecAsync(string containerId, List<string> command, CancellationToken cancellationToken)
    {
        if (_runner.RunCommandAsync(containerId, command, cancellationToken) is not { } running)
        {
            return ("exec hooks need a container runtime", "");
        }

        var result = await running.ConfigureAwait(false);
        var output = Encoding.UTF8.GetString(result.Output);
        if (result.Error is not null)
        {
            return (result.Error, output);
        }

        if (result.TimedOut)
        {
            return ($"command \"{string.Join(' ', command)}\" timed out", output);
        }

        // Upstream's CRI client: command 'sh -c exit 1' exited with 1: <stderr>.
        return result.ExitCode == 0 ? null
            : ($"command '{string.Join(' ', command)}' exited with {result.ExitCode}: {Encoding.UTF8.GetString(result.Stderr)}", output);
    }

    private async Task<string?> RunHttpAsync(V1Pod pod, V1Container container, V1HTTPGetAction action, string? podIp, CancellationToken cancellationToken)
    {
        var (url, error) = HttpProber.BuildUrl(action, container, podIp);
        if (url is null)
        {
            return string.IsNullOrEmpty(action.Host) && string.IsNullOrEmpty(podIp) ? "failed to find networking container" : error;
        }

        var exchange = await _runner.Http.GetAsync(url, action.HttpHeaders, "lifecycle", Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        if (exchange.Error is not null && exchange.SecureConnectionFailed && url.Scheme == Uri.UriSchemeHttps)
        {
            var plain = new UriBuilder(url) { Scheme = Uri.UriSchemeHttp, Port = url.Port }.Uri;
            var headers = action.HttpHeaders?.Where(h => !string.Equals(h.Name, "Authorization", StringComparison.OrdinalIgnoreCase)).ToList();
            var retry = await _runner.Http.GetAsync(plain, headers, "lifecycle", Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            if (retry.Error is null)
            {
                _events?.Event(EventRecorderExtensions.ReferenceTo(pod), "Warning", "LifecycleHTTPFallback",
                    $"request to HTTPS lifecycle hook {ProbeTargets.JoinHostPort(url.Host, url.Port)} got HTTP response, retry with HTTP succeeded");
                return null;
            }
        }

        return exchange.Error;
    }

    private static V1ObjectReference ContainerReference(V1Pod pod, string containerName)
    {
        var isInit = pod.Spec.Containers?.Any(c => c.Name == containerName) != true && pod.Spec.InitContainers?.Any(c => c.Name == containerName) == true;
        return new V1ObjectReference
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Name = pod.Metadata.Name,
            NamespaceProperty = pod.Metadata.NamespaceProperty,
            Uid = pod.Metadata.Uid,
            ResourceVersion = pod.Metadata.ResourceVersion,
            FieldPath = isInit ? $"spec.initContainers{{{containerName}}}" : $"spec.containers{{{containerName}}}",
        };
    }

    private static string Describe(V1LifecycleHandler handler) =>
        handler.TcpSocket is { } tcp ? $"&LifecycleHandler{{TCPSocket:&TCPSocketAction{{Port:{tcp.Port},Host:{tcp.Host},}}}}" : "&LifecycleHandler{}";
}
