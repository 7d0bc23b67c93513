using System.CommandLine;
using Kubesharp.Commands;
using Kubesharp.Controllers;

namespace Kubesharp.Tests.Commands;

/// <summary>The node lifecycle timing flags of <c>kubesharp server</c> and <c>kubesharp controller-manager</c>.</summary>
public sealed class NodeLifecycleFlagsTests
{
    public static TheoryData<string, string[]> Commands => new()
    {
        { "server", ["--node-monitor-grace-period", "20s", "--node-monitor-period", "1s", "--node-startup-grace-period", "1m30s", "--node-eviction-rate", "0.5"] },
        { "controller-manager", ["--kubeconfig", "k", "--node-monitor-grace-period=20s", "--node-monitor-period=1s", "--node-startup-grace-period=1m30s", "--node-eviction-rate=0.5"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Both_commands_take_the_flags(string name, string[] args)
    {
        var command = name == "server" ? ServerCommand.Create() : ControllerManagerCommand.Create();

        var parse = command.Parse(args);

        Assert.Empty(parse.Errors);
        Assert.Equal(TimeSpan.FromSeconds(20), parse.GetValue<TimeSpan>("--node-monitor-grace-period"));
        Assert.Equal(TimeSpan.FromSeconds(1), parse.GetValue<TimeSpan>("--node-monitor-period"));
        Assert.Equal(TimeSpan.FromSeconds(90), parse.GetValue<TimeSpan>("--node-startup-grace-period"));
        Assert.Equal(0.5, parse.GetValue<double>("--node-eviction-rate"));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void The_flags_reach_the_core_controller_options(string name, string[] args)
    {
        var (command, flags) = Create(name);

        var parse = command.Parse(args);

        Assert.Empty(parse.Errors);
        var core = flags.Apply(parse, new CoreControllerOptions { TerminatedPodGcThreshold = 7 });
        Assert.Equal(TimeSpan.FromSeconds(20), core.NodeMonitorGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(1), core.NodeMonitorPeriod);
        Assert.Equal(TimeSpan.FromSeconds(90), core.NodeStartupGracePeriod);
        Assert.Equal(0.5, core.NodeEvictionRate);
        Assert.Equal(7, core.TerminatedPodGcThreshold);
    }

    [Fact]
    public void Without_the_flags_upstreams_defaults_apply()
    {
        var (command, flags) = Create("server");

        var core = flags.Apply(command.Parse([]), new CoreControllerOptions());

        Assert.Equal(TimeSpan.FromSeconds(40), core.NodeMonitorGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(5), core.NodeMonitorPeriod);
        Assert.Equal(TimeSpan.FromSeconds(60), core.NodeStartupGracePeriod);
        Assert.Equal(0.1, core.NodeEvictionRate);
    }

    [Theory]
    [InlineData("zero period", "--node-monitor-period", "0s", "--node-monitor-period must be longer than 0")]
    [InlineData("negative grace", "--node-monitor-grace-period", "-5s", "--node-monitor-grace-period must be longer than 0")]
    [InlineData("not a duration", "--node-startup-grace-period", "soon", "invalid duration \"soon\"")]
    [InlineData("negative rate", "--node-eviction-rate", "-1", "--node-eviction-rate must be 0 or more")]
    [InlineData("not a rate", "--node-eviction-rate", "fast", "--node-eviction-rate must be 0 or more, not \"fast\"")]
    public void Invalid_values_are_refused(string because, string flag, string value, string error)
    {
        var command = ServerCommand.Create();

        var parse = command.Parse([flag, value]);

        Assert.True(parse.Errors.Any(e => e.Message.Contains(error, StringComparison.Ordinal)), $"{because}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
    }

    /// <summary>A command with just the flags, as the two commands add them.</summary>
    private static (Command Command, NodeLifecycleFlags Flags) Create(string name)
    {
        var command = new Command(name);
        if (name == "controller-manager")
        {
            command.Options.Add(new Option<string>("--kubeconfig"));
        }

        return (command, NodeLifecycleFlags.AddTo(command));
    }
}
