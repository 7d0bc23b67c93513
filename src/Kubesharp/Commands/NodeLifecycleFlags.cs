using System.CommandLine;
using System.Globalization;
using Kubesharp.Api;
using Kubesharp.Controllers;

namespace Kubesharp.Commands;

/// <summary>
/// The node lifecycle controller's timing flags, with kube-controller-manager's names: how often nodes are looked at,
/// how long a silent node stays Ready, and how fast nodes are tainted for eviction. <c>kubesharp server</c> and
/// <c>kubesharp controller-manager</c> both take them. The defaults are <see cref="CoreControllerOptions"/>'s.
/// </summary>
internal sealed class NodeLifecycleFlags
{
    private static readonly CoreControllerOptions Defaults = new();

    private readonly Option<TimeSpan> _monitorPeriod = PositiveDuration(
        "--node-monitor-period", "How often the node lifecycle controller checks every node's heartbeats.", Defaults.NodeMonitorPeriod);

    private readonly Option<TimeSpan> _monitorGracePeriod = PositiveDuration(
        "--node-monitor-grace-period", "How long a running node may go without a heartbeat before its Ready condition becomes Unknown.", Defaults.NodeMonitorGracePeriod);

    private readonly Option<TimeSpan> _startupGracePeriod = PositiveDuration(
        "--node-startup-grace-period", "The same for a node that has not yet posted a Ready condition.", Defaults.NodeStartupGracePeriod);

    private readonly Option<double> _evictionRate = new("--node-eviction-rate")
    {
        Description = $"Nodes per second, per healthy zone, that get a NoExecute taint when they fail (default {Defaults.NodeEvictionRate}).",
        DefaultValueFactory = _ => Defaults.NodeEvictionRate,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) || rate < 0 || double.IsNaN(rate))
            {
                result.AddError($"--node-eviction-rate must be 0 or more, not \"{text}\"");
            }

            return rate;
        },
    };

    private NodeLifecycleFlags()
    {
    }

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public static NodeLifecycleFlags AddTo(Command command)
    {
        var flags = new NodeLifecycleFlags();
        command.Options.Add(flags._monitorPeriod);
        command.Options.Add(flags._monitorGracePeriod);
        command.Options.Add(flags._startupGracePeriod);
        command.Options.Add(flags._evictionRate);
        return flags;
    }

    /// <summary>
    /// A duration flag as <see cref="ControllerManagerCommand.DurationOption"/>, longer than zero: a zero period would
    /// make the monitor spin, a zero grace period would mark every node Unknown at once.
    /// </summary>
    private static Option<TimeSpan> PositiveDuration(string name, string description, TimeSpan defaultValue)
    {
        var option = ControllerManagerCommand.DurationOption(name, description, defaultValue);
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (!GoDuration.TryParse(text, out var duration))
            {
                result.AddError($"invalid duration \"{text}\" (use for example 15s, 1m, 500ms)");
            }
            else if (duration <= TimeSpan.Zero)
            {
                result.AddError($"{name} must be longer than 0");
            }

            return duration;
        };
        return option;
    }

    /// <summary><paramref name="core"/> with the parsed timings.</summary>
    public CoreControllerOptions Apply(ParseResult parse, CoreControllerOptions core) => core with
    {
        NodeMonitorPeriod = parse.GetValue(_monitorPeriod),
        NodeMonitorGracePeriod = parse.GetValue(_monitorGracePeriod),
        NodeStartupGracePeriod = parse.GetValue(_startupGracePeriod),
        NodeEvictionRate = parse.GetValue(_evictionRate),
    };
}
