using System.CommandLine;
using k8s.Exceptions;
using Kubesharp.Scheduler;
using Kubesharp.Scheduler.Configuration;
using Kubesharp.Scheduler.Metrics;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp scheduler --kubeconfig FILE [--config FILE]</c>: kube-scheduler on its own, talking to an API server
/// through the kubeconfig (by default with leader election on the Lease kube-system/kube-scheduler) and serving
/// <c>/metrics</c> and <c>/healthz</c> on 127.0.0.1:10259, until SIGTERM or Ctrl-C.
/// </summary>
internal static class SchedulerCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig")
        {
            Description = "Path to the kubeconfig the scheduler uses (as kubesharp server writes it: <data-dir>/scheduler.kubeconfig); with --config, clientConnection.kubeconfig when not given.",
        };
        var config = new Option<string?>("--config")
        {
            Description = "A KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1): profiles, plugins and their args, back-off, leader election. Leader-election flags given explicitly override it.",
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
            Description = "Share of the nodes to find feasible before scoring on large clusters; 0 is upstream's adaptive default. Not with --config (set percentageOfNodesToScore there).",
            DefaultValueFactory = _ => 0,
        };
        var bindAddress = new Option<string>("--bind-address")
        {
            Description = "Address of the /metrics and /healthz endpoint (plain HTTP, no authentication: keep it on loopback).",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var securePort = new Option<int>("--secure-port")
        {
            Description = "Port of the /metrics and /healthz endpoint (upstream's port; served over plain HTTP here); 0 disables it.",
            DefaultValueFactory = _ => SchedulerServing.DefaultPort,
        };
        var leaseDuration = ControllerManagerCommand.DurationOption("--leader-elect-lease-duration", "How long followers wait before taking over a lease that is not renewed.", TimeSpan.FromSeconds(15));
        var renewDeadline = ControllerManagerCommand.DurationOption("--leader-elect-renew-deadline", "How long the leader retries a failing renewal before giving up leadership.", TimeSpan.FromSeconds(10));
        var retryPeriod = ControllerManagerCommand.DurationOption("--leader-elect-retry-period", "The pause between attempts to acquire or renew the lease.", TimeSpan.FromSeconds(2));
        var command = new Command("scheduler", "Run the scheduler against an API server.")
        {
            kubeconfig,
            config,
            leaderElect,
            seed,
            percentage,
            bindAddress,
            securePort,
            leaseDuration,
            renewDeadline,
            retryPeriod,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            bool Given(Option option) => parse.GetResult(option) is { Implicit: false };
            var metrics = new SchedulerMetrics();
            var flags = new SchedulerHostOptions
            {
                LeaderElect = parse.GetValue(leaderElect),
                LeaseDuration = parse.GetValue(leaseDuration),
                RenewDeadline = parse.GetValue(renewDeadline),
                RetryPeriod = parse.GetValue(retryPeriod),
                Scheduler = new SchedulerOptions { Seed = parse.GetValue(seed), PercentageOfNodesToScore = parse.GetValue(percentage), Metrics = metrics },
            };
            var path = parse.GetValue(kubeconfig);
            if (parse.GetValue(config) is { } file)
            {
                if (Given(percentage))
                {
                    await Console.Error.WriteLineAsync("error: --percentage-of-nodes-to-score cannot be used with --config; set percentageOfNodesToScore in the file");
                    return 1;
                }

                SchedulerConfiguration loaded;
                try
                {
                    loaded = SchedulerConfigurationLoader.LoadFile(file);
                }
                catch (SchedulerConfigurationException e)
                {
                    await Console.Error.WriteLineAsync($"error: {e.Message}");
                    return 1;
                }

                // Upstream with --config: the file decides, except leader-election flags given explicitly.
                var options = loaded.ToHostOptions(flags);
                flags = options with
                {
                    LeaderElect = Given(leaderElect) ? flags.LeaderElect : options.LeaderElect,
                    LeaseDuration = Given(leaseDuration) ? flags.LeaseDuration : options.LeaseDuration,
                    RenewDeadline = Given(renewDeadline) ? flags.RenewDeadline : options.RenewDeadline,
                    RetryPeriod = Given(retryPeriod) ? flags.RetryPeriod : options.RetryPeriod,
                };
                path ??= loaded.Settings.Kubeconfig;
            }

            if (path is null)
            {
                await Console.Error.WriteLineAsync("error: --kubeconfig is required (or clientConnection.kubeconfig in the --config file)");
                return 1;
            }

            return await RunAsync(path, flags, parse.GetValue(bindAddress)!, parse.GetValue(securePort), metrics, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(string kubeconfig, SchedulerHostOptions options, string bindAddress, int port, SchedulerMetrics metrics, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning));
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
            var serving = await StartServingAsync(bindAddress, port, metrics, stop.Token);
            if (serving.Failed)
            {
                return 1;
            }

            await using (serving.Endpoint)
            {
                await host.StartAsync(stop.Token);
                // Ctrl-C or SIGTERM: disposing the host stops the scheduler after its bindings in flight.
                await stop.WaitAsync();
            }
        }

        return 0;
    }

    /// <summary>The scheduler's /metrics and /healthz endpoint; none when <paramref name="port"/> is 0; Failed (reported on stderr) when it cannot listen.</summary>
    internal static async Task<(SchedulerServing? Endpoint, bool Failed)> StartServingAsync(string bindAddress, int port, SchedulerMetrics metrics, CancellationToken cancellationToken)
    {
        if (port == 0)
        {
            return (null, false);
        }

        try
        {
            return (await SchedulerServing.StartAsync(bindAddress, port, metrics, cancellationToken), false);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            await Console.Error.WriteLineAsync($"error: cannot serve the scheduler's metrics on {bindAddress}:{port}: {e.Message} (a port of 0 disables them)");
            return (null, true);
        }
    }
}
