using System.Text;
using k8s.Models;
using Kubesharp.Kubelet.Cri;

namespace Kubesharp.Kubelet.Probes;

/// <summary>
/// Runs probe handlers once, as upstream's prober does, and lends its exec and HTTP machinery to the lifecycle hooks:
/// <list type="bullet">
/// <item>exec: CRI ExecSync with the probe's timeoutSeconds; exit 0 is success, another exit code a failure whose output
/// is the command's stdout then stderr (at most 10 KB), a timeout a failure <c>command "..." timed out</c>; the command's
/// <c>$(VAR)</c> references expand from the container's plain env values only.</item>
/// <item>httpGet: see <see cref="HttpProber"/>; 2xx is success with the body as output, 3xx (a redirect to another host,
/// not followed) a warning, anything else a failure <c>HTTP probe failed with statuscode: N</c>; a transport error or the
/// timeout is a failure with Go's error text.</item>
/// <item>tcpSocket: a connection within the timeout.</item>
/// <item>grpc: not supported here (an errored outcome, which never counts towards a threshold).</item>
/// </list>
/// Thread-safe. All timeouts are measured on the <see cref="TimeProvider"/> given (exec timeouts are enforced by the runtime).
/// </summary>
public sealed class ProbeRunner : IProbeRunner, IDisposable
{
    private const int MaxExecOutput = 10 * 1024;
    private readonly IContainerCommandRunner? _commands;

    public ProbeRunner(CriClient? cri, TimeProvider time)
        : this(cri is null ? null : new CriCommandRunner(cri), time)
    {
    }

    internal ProbeRunner(IContainerCommandRunner? commands, TimeProvider time)
    {
        _commands = commands;
        Time = time;
        Http = new HttpProber(time);
    }

    internal TimeProvider Time { get; }

    internal HttpProber Http { get; }

    public Task<ProbeOutcome> RunAsync(V1Pod pod, V1Container container, string containerId, V1Probe probe, string? podIp, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(probe.TimeoutSeconds is > 0 and var seconds ? seconds : 1);
        if (probe.Exec is { } exec)
        {
            return ExecAsync(containerId, ProbeTargets.ExpandStatic(exec.Command, container.Env), timeout, cancellationToken);
        }

        if (probe.HttpGet is { } httpGet)
        {
            return HttpGetAsync(httpGet, container, podIp, timeout, cancellationToken);
        }

        if (probe.TcpSocket is { } tcp)
        {
            var (port, portError) = ProbeTargets.ResolvePort(tcp.Port, container);
            var host = string.IsNullOrEmpty(tcp.Host) ? podIp : tcp.Host;
            return portError is not null ? Task.FromResult(ProbeOutcome.Errored(portError))
                : string.IsNullOrEmpty(host) ? Task.FromResult(ProbeOutcome.Errored("the pod has no IP address yet"))
                : TcpProber.ProbeAsync(host, port, timeout, Time, cancellationToken);
        }

        if (probe.Grpc is not null)
        {
            return Task.FromResult(ProbeOutcome.Errored("gRPC probes are not supported by this kubelet"));
        }

        return Task.FromResult(ProbeOutcome.Errored($"missing probe handler for {PodFormat.Describe(pod)}:{container.Name}"));
    }

    private async Task<ProbeOutcome> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_commands is null)
        {
            return ProbeOutcome.Errored("exec probes need a container runtime");
        }

        var result = await _commands.RunAsync(containerId, command, timeout, cancellationToken).ConfigureAwait(false);
        if (result.Error is not null)
        {
            return ProbeOutcome.Errored(result.Error);
        }

        if (result.TimedOut)
        {
            // Upstream (ExecProbeTimeout on since 1.20): a timed-out command is a failure with this message as output.
            return new ProbeOutcome(ProbeResult.Failure, $"command \"{string.Join(' ', command)}\" timed out");
        }

        var combined = result.Output;
        var output = Encoding.UTF8.GetString(combined, 0, Math.Min(combined.Length, MaxExecOutput));
        return new ProbeOutcome(result.ExitCode == 0 ? ProbeResult.Success : ProbeResult.Failure, output);
    }

    private async Task<ProbeOutcome> HttpGetAsync(V1HTTPGetAction action, V1Container container, string? podIp, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (url, error) = HttpProber.BuildUrl(action, container, podIp);
        if (url is null)
        {
            return ProbeOutcome.Errored(error!);
        }

        var exchange = await Http.GetAsync(url, action.HttpHeaders, "probe", timeout, cancellationToken).ConfigureAwait(false);
        if (exchange.Error is not null)
        {
            return new ProbeOutcome(ProbeResult.Failure, exchange.Error);
        }

        return exchange.StatusCode switch
        {
            >= 200 and < 300 => new ProbeOutcome(ProbeResult.Success, exchange.Body),
            >= 300 and < 400 => new ProbeOutcome(ProbeResult.Warning, $"Probe terminated redirects, Response body: {exchange.Body}"),
            // Upstream keeps the body out of the failure message (it could carry secrets into events).
            _ => new ProbeOutcome(ProbeResult.Failure, $"HTTP probe failed with statuscode: {exchange.StatusCode}"),
        };
    }

    /// <summary>Runs a hook's command: no timeout of its own (upstream passes 0), bounded by <paramref name="cancellationToken"/>.</summary>
    internal Task<CommandResult>? RunCommandAsync(string containerId, IReadOnlyList<string> command, CancellationToken cancellationToken) =>
        _commands?.RunAsync(containerId, command, TimeSpan.Zero, cancellationToken);

    public void Dispose() => Http.Dispose();
}

/// <summary>Upstream's <c>format.Pod</c>: <c>name_namespace(uid)</c>.</summary>
internal static class PodFormat
{
    public static string Describe(V1Pod pod) => $"{pod.Metadata?.Name}_{pod.Metadata?.NamespaceProperty}({pod.Metadata?.Uid})";
}
