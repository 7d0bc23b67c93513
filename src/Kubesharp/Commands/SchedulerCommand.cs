using System.CommandLine;
using k8s.Exceptions;
using Kubesharp.Scheduler;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp scheduler --kubeconfig FILE</c>: kube-scheduler on its own, talking to an API server through the
/// kubeconfig (by default with leader election on the Lease kube-system/kube-scheduler), until SIGTERM or Ctrl-C.
/// </summary>
internal static class SchedulerCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string>("--kubeconfig")
        {
            Description = "Path to the kubeconfig the scheduler uses (as kubesharp server writes it: <data-dir>/scheduler.kubeconfig).",
            Required = true,
        };
        var leaderElect = new Option<bool>("--leader-elect")
        {
            Description = "Schedule only while holding the Lease kube-system/kube-scheduler.",
            DefaultValueFactory = _ => true,
        };
        var seed = new Option<int?>("--seed")
        {
            Description = "Seed of the random that breaks ties between equally scored nodes (logged at start when not given), to replay placements.",
        };
        var percentage = new Option<int>("--percentage-of-nodes-to-score")
        {
            Description = "Share of the nodes to find feasible before scoring on large clusters; 0 is upstream's adaptive default.",
            DefaultValueFactory = _ => 0,
        };
        var leaseDuration = ControllerManagerCommand.DurationOption("--leader-elect-lease-duration", "How long followers wait before taking over a lease that is not renewed.", TimeSpan.FromSeconds(15));
        var renewDeadline = ControllerManagerCommand.DurationOption("--leader-elect-renew-deadline", "How long the leader retries a failing renewal before giving up leadership.", TimeSpan.FromSeconds(10));
        var retryPeriod = ControllerManagerCommand.DurationOption("--leader-elect-retry-period", "The pause between attempts to acquire or renew the lease.", TimeSpan.FromSeconds(2));
        var command = new Command("scheduler", "Run the scheduler against an API server.")
        {
            kubeconfig,
            leaderElect,
            seed,
            percentage,
            leaseDuration,
            renewDeadline,
            retryPeriod,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(kubeconfig)!,
            new SchedulerHostOptions
            {
                LeaderElect = parse.GetValue(leaderElect),
                LeaseDuration = parse.GetValue(leaseDuration),
                RenewDeadline = parse.GetValue(renewDeadline),
                RetryPeriod = parse.GetValue(retryPeriod),
                Scheduler = new SchedulerOptions { Seed = parse.GetValue(seed), PercentageOfNodesToScore = parse.GetValue(percentage) },
            },
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string kubeconfig, SchedulerHostOptions options, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        using var stop = new StopSignal(cancellationToken);

        SchedulerHost host;
        try
        {
            host = SchedulerHost.FromKubeconfig(kubeconfig, options, loggerFactory);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }

        await using (host)
        {
            await host.StartAsync(stop.Token);
            // Ctrl-C or SIGTERM: disposing the host stops the scheduler after its bindings in flight.
            await stop.WaitAsync();
        }

        return 0;
    }
}
