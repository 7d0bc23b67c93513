using System.Text.Json;
using Kubesharp.Scheduler.Framework;
using Plugin = Kubesharp.Scheduler.Plugins.InterPodAffinity.InterPodAffinity;
using PluginArgs = Kubesharp.Scheduler.Plugins.InterPodAffinity.InterPodAffinityArgs;

namespace Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity;

public sealed class ArgsTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Theory]
    [InlineData("{}", 1, false)]
    [InlineData("""{"hardPodAffinityWeight": 0}""", 0, false)]
    [InlineData("""{"hardPodAffinityWeight": 7, "ignorePreferredTermsOfExistingPods": true}""", 7, true)]
    public void Args_read_upstreams_json_names_and_defaults(string json, int weight, bool ignore)
    {
        var args = JsonSerializer.Deserialize<PluginArgs>(json, Web)!;

        Assert.Equal((weight, ignore), (args.HardPodAffinityWeight, args.IgnorePreferredTermsOfExistingPods));
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(1, null)]
    [InlineData(100, null)]
    [InlineData(-1, "hardPodAffinityWeight: Invalid value: -1: not in valid range [0, 100]")]
    [InlineData(101, "hardPodAffinityWeight: Invalid value: 101: not in valid range [0, 100]")]
    public void Validate_checks_the_weight_range_with_upstreams_message(int weight, string? error)
    {
        var errors = new PluginArgs { HardPodAffinityWeight = weight }.Validate();

        Assert.Equal(error is null ? [] : [error], errors);
    }

    [Fact]
    public void The_plugin_refuses_invalid_args()
    {
        var e = Assert.Throws<ArgumentException>(() => Affinity.Plugin(new PluginArgs { HardPodAffinityWeight = 200 }));

        Assert.StartsWith("hardPodAffinityWeight: Invalid value: 200", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_profile_runs_it_after_PodTopologySpread_with_weight_2()
    {
        var names = DefaultProfiles.Plugins(new PluginHandle(new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = "https://127.0.0.1:1" }))).Select(p => p.Name).ToList();

        // Upstream's order: NodeResourcesFit, PodTopologySpread, InterPodAffinity.
        Assert.Equal(names.IndexOf("PodTopologySpread") + 1, names.IndexOf(Plugin.PluginName));
        Assert.Equal(names.IndexOf("NodeResourcesFit") + 2, names.IndexOf(Plugin.PluginName));
        Assert.True(names.IndexOf(Plugin.PluginName) < names.IndexOf("NodeResourcesBalancedAllocation"));
        Assert.Equal(2, DefaultProfiles.Weights[Plugin.PluginName]);
    }
}
