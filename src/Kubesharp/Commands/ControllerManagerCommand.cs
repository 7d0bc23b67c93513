using System.CommandLine;
using System.CommandLine.Parsing;
using k8s.Exceptions;
using Kubesharp.Api;
using Kubesharp.Controllers;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp controller-manager --kubeconfig FILE</c>: kube-controller-manager on its own, talking to an API
/// server through the kubeconfig (by default with leader election on the Lease kube-system/kube-controller-manager,
/// so that several can run and one works), until SIGTERM or Ctrl-C.
/// </summary>
internal static class ControllerManagerCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string>("--kubeconfig")
        {
            Description = "Path to the kubeconfig the controller manager uses (as kubesharp server writes it: <data-dir>/controller-manager.kubeconfig).",
            Required = true,
        };
        var leaderElect = new Option<bool>("--leader-elect")
        {
            Description = "Run the controllers only while holding the Lease kube-system/kube-controller-manager.",
            DefaultValueFactory = _ => true,
        };
        var controllers = new Option<string>("--controllers")
        {
            Description = "Controllers to run: '*' enables all on by default, 'foo' enables foo, '-foo' disables foo (comma-separated).",
            DefaultValueFactory = _ => "*",
        };
        var useServiceAccounts = new Option<bool>("--use-service-account-credentials")
        {
            Description = "Each controller calls the API as its own service account in kube-system.",
            DefaultValueFactory = _ => true,
        };
        var terminatedPodGcThreshold = new Option<int>("--terminated-pod-gc-threshold")
        {
            Description = "Terminated pods kept before the pod garbage collector deletes the oldest; 0 or less keeps them all.",
            DefaultValueFactory = _ => 12500,
        };
        var leaseDuration = DurationOption("--leader-elect-lease-duration", "How long followers wait before taking over a lease that is not renewed.", TimeSpan.FromSeconds(15));
        var renewDeadline = DurationOption("--leader-elect-renew-deadline", "How long the leader retries a failing renewal before giving up leadership.", TimeSpan.FromSeconds(10));
        var retryPeriod = DurationOption("--leader-elect-retry-period", "The pause between attempts to acquire or renew the lease.", TimeSpan.FromSeconds(2));
        var command = new Command("controller-manager", "Run the controller manager against an API server.")
        {
            kubeconfig,
            leaderElect,
            controllers,
            useServiceAccounts,
            terminatedPodGcThreshold,
            leaseDuration,
            renewDeadline,
            retryPeriod,
        };
        var nodeLifecycle = NodeLifecycleFlags.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(kubeconfig)!,
            new ControllerManagerOptions
            {
                LeaderElect = parse.GetValue(leaderElect),
                Controllers = [parse.GetValue(controllers)!],
                UseServiceAccountCredentials = parse.GetValue(useServiceAccounts),
                LeaseDuration = parse.GetValue(leaseDuration),
                RenewDeadline = parse.GetValue(renewDeadline),
                RetryPeriod = parse.GetValue(retryPeriod),
                Core = nodeLifecycle.Apply(parse, new CoreControllerOptions { TerminatedPodGcThreshold = parse.GetValue(terminatedPodGcThreshold) }),
            },
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string kubeconfig, ControllerManagerOptions options, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("kube-controller-manager");
        using var stop = new StopSignal(cancellationToken);

        ControllerManager manager;
        try
        {
            manager = ControllerManager.FromKubeconfig(kubeconfig, options, loggerFactory);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }

        await using (manager)
        {
            await manager.StartAsync(stop.Token);
            await stop.WaitAsync();
            ControllerManagerLog.Stopping(logger);

            await manager.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    /// <summary>A duration flag in Go's syntax (<c>15s</c>, <c>1m30s</c>, <c>500ms</c>), as upstream's flags take them.</summary>
    internal static Option<TimeSpan> DurationOption(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = $"{description} (a duration such as 15s; default {(long)defaultValue.TotalSeconds}s)",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseDuration(result),
    };

    private static TimeSpan ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (GoDuration.TryParse(text, out var duration))
        {
            return duration;
        }

        result.AddError($"invalid duration \"{text}\" (use for example 15s, 1m, 500ms)");
        return default;
    }
}

internal static partial class ControllerManagerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "stopping: the controllers drain, then the controller manager exits")]
    public static partial void Stopping(ILogger logger);
}
