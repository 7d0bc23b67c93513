using k8s;
using Kubesharp.Scheduler.Configuration;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Tests.Configuration;

/// <summary>A plugin written elsewhere (here a stand-in for upstream's VolumeBinding, which Kubesharp lacks) joins the registry with one line: its args record decoded and checked, its defaults upstream's.</summary>
public sealed class PluginRegistryTests
{
    /// <summary>Args shaped as the plugins written in parallel shape theirs: a record System.Text.Json's web defaults decode, and Validate().</summary>
    public sealed record SpreadArgs(int MaxSkew = 1, string DefaultingType = "System")
    {
        public IEnumerable<string> Validate()
        {
            if (MaxSkew <= 0)
            {
                yield return $"maxSkew: Invalid value: {MaxSkew}: not in valid range (0, inf)";
            }
        }
    }

    private sealed class Spread(PluginHandle handle, SpreadArgs? args) : IPreFilterPlugin, IFilterPlugin, IScorePlugin
    {
        public string Name => "VolumeBinding";

        public SpreadArgs Args { get; } = args ?? new();

        public PluginHandle Handle { get; } = handle;

        public (Status Status, IReadOnlySet<string>? Nodes) PreFilter(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes) => (Status.Success, null);

        public Status Filter(CycleState state, PodInfo pod, NodeInfo node) => Status.Success;

        public long Score(CycleState state, PodInfo pod, NodeInfo node) => 0;
    }

    private static PluginRegistry WithSpread() =>
        PluginRegistry.CreateDefault().Add<Spread, SpreadArgs>("VolumeBinding", (handle, args) => new Spread(handle, args), args => args.Validate());

    [Fact]
    public void A_registered_upstream_default_takes_its_upstream_place_and_weight()
    {
        var profile = ProfileMergeTests.Plugins("score:\n  disabled: []", WithSpread());

        Assert.Equal(
            "TaintToleration=3,NodeAffinity=2,NodeResourcesFit=1,VolumeBinding=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1,ImageLocality=1",
            string.Join(",", profile[ExtensionPoint.Score].Select(n => $"{n}={profile.Weights[n]}")));
        Assert.Equal("NodeUnschedulable,NodeName,TaintToleration,NodeAffinity,NodePorts,NodeResourcesFit,VolumeBinding,PodTopologySpread,InterPodAffinity", string.Join(",", profile[ExtensionPoint.Filter]));
    }

    [Fact]
    public void Its_args_are_decoded_with_web_defaults_and_reach_the_plugin()
    {
        var config = ProfileMergeTests.Load("profiles:\n- pluginConfig:\n  - name: VolumeBinding\n    args:\n      kind: VolumeBindingArgs\n      maxSkew: 3\n      defaultingType: List\n", WithSpread());
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });

        var spread = (Spread)config.CreateProfiles(new PluginHandle(client)).Single().Filters.Single(f => f.Name == "VolumeBinding");

        Assert.Equal(new SpreadArgs(3, "List"), spread.Args);
        Assert.Same(client, spread.Handle.Client);
    }

    [Fact]
    public void Its_validation_and_unknown_fields_are_reported_under_the_args_path()
    {
        var bad = Assert.Throws<SchedulerConfigurationException>(() => ProfileMergeTests.Load("profiles:\n- pluginConfig:\n  - name: VolumeBinding\n    args:\n      maxSkew: 0\n", WithSpread()));
        Assert.Equal(["profiles[0].pluginConfig[0].args.maxSkew: Invalid value: 0: not in valid range (0, inf)"], bad.Errors);

        var unknown = Assert.Throws<SchedulerConfigurationException>(() => ProfileMergeTests.Load("profiles:\n- pluginConfig:\n  - name: VolumeBinding\n    args:\n      maxSkw: 2\n", WithSpread()));
        Assert.Equal(["profiles[0].pluginConfig[0].args.maxSkw: unknown field"], unknown.Errors);
    }

    [Fact]
    public void A_name_registers_once()
    {
        Assert.Throws<ArgumentException>(() => PluginRegistry.CreateDefault().Add("NodeName", _ => new Kubesharp.Scheduler.Plugins.NodeName.NodeName()));
    }
}
