using k8s;
using Kubesharp.Scheduler.Configuration;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.NodeResourcesFit;

namespace Kubesharp.Scheduler.Tests.Configuration;

/// <summary>Upstream's merge of a profile's plugin sets with the defaults, multiPoint expansion and weights, as tables.</summary>
public sealed class ProfileMergeTests
{
    private const string Header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

    private static readonly string[] DefaultFilters = ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"];
    private static readonly string[] DefaultScorers = ["TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity", "NodeResourcesBalancedAllocation", "ImageLocality"];

    internal static SchedulerConfiguration Load(string body, PluginRegistry? registry = null) => SchedulerConfigurationLoader.Load(Header + body, "test.yaml", registry);

    /// <summary>One profile whose <c>plugins:</c> is <paramref name="plugins"/> (indented under it).</summary>
    internal static ResolvedProfile Plugins(string plugins, PluginRegistry? registry = null) =>
        Load("profiles:\n- plugins:\n" + string.Join("\n", plugins.Split('\n').Select(l => "    " + l)) + "\n", registry).Profiles.Single();

    private static string Names(IEnumerable<string> names) => string.Join(",", names);

    private static string Weights(ResolvedProfile profile) => string.Join(",", profile[ExtensionPoint.Score].Select(n => $"{n}={profile.Weights[n]}"));

    [Fact]
    public void No_file_content_gives_the_default_profile_exactly_as_DefaultProfiles_builds_it()
    {
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        var handle = new PluginHandle(client);
        var expected = DefaultProfiles.Create(handle);
        var profile = SchedulerConfiguration.Default().CreateProfiles(handle).Single();

        Assert.Equal(DefaultProfiles.SchedulerName, profile.SchedulerName);
        Assert.Equal(Names(expected.PreFilters.Select(p => p.Name)), Names(profile.PreFilters.Select(p => p.Name)));
        Assert.Equal(Names(expected.Filters.Select(p => p.Name)), Names(profile.Filters.Select(p => p.Name)));
        Assert.Equal(Names(expected.PostFilters.Select(p => p.Name)), Names(profile.PostFilters.Select(p => p.Name)));
        Assert.Equal(Names(expected.PreScores.Select(p => p.Name)), Names(profile.PreScores.Select(p => p.Name)));
        Assert.Equal(Names(expected.Scorers.Select(s => $"{s.Plugin.Name}={s.Weight}")), Names(profile.Scorers.Select(s => $"{s.Plugin.Name}={s.Weight}")));
        Assert.Equal(Names(expected.Reserves.Select(p => p.Name)), Names(profile.Reserves.Select(p => p.Name)));
        Assert.Equal(Names(expected.Permits.Select(p => p.Name)), Names(profile.Permits.Select(p => p.Name)));
        Assert.Equal(Names(expected.Binders.Select(p => p.Name)), Names(profile.Binders.Select(p => p.Name)));
        Assert.Equal(Names(DefaultScorers), Names(profile.Scorers.Select(s => s.Plugin.Name)));

        // One instance per plugin, shared by its points, as upstream's framework builds it.
        Assert.Same(profile.Filters.Single(p => p.Name == "NodeAffinity"), profile.Scorers.Single(s => s.Plugin.Name == "NodeAffinity").Plugin);
    }

    public static TheoryData<string, string, string, string, string> Merges => new()
    {
        {
            "a default filter disabled stays a scorer",
            "filter:\n  disabled:\n  - name: TaintToleration",
            "NodeUnschedulable,NodeName,NodeAffinity,NodePorts,NodeResourcesFit,PodTopologySpread,InterPodAffinity",
            "TaintToleration=3,NodeAffinity=2,NodeResourcesFit=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1,ImageLocality=1",
            "DefaultBinder"
        },
        {
            "* disables every default score, enabled ones are added with their weight",
            "score:\n  disabled:\n  - name: '*'\n  enabled:\n  - name: ImageLocality\n    weight: 5\n  - name: NodeAffinity",
            Names(DefaultFilters),
            "ImageLocality=5,NodeAffinity=1",
            "DefaultBinder"
        },
        {
            "a default re-enabled in multiPoint keeps its place and takes the new weight",
            "multiPoint:\n  enabled:\n  - name: TaintToleration\n    weight: 10",
            Names(DefaultFilters),
            "TaintToleration=10,NodeAffinity=2,NodeResourcesFit=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1,ImageLocality=1",
            "DefaultBinder"
        },
        {
            "a score entry overrides multiPoint: it runs first and its weight wins",
            "score:\n  enabled:\n  - name: ImageLocality\n    weight: 7",
            Names(DefaultFilters),
            "ImageLocality=7,TaintToleration=3,NodeAffinity=2,NodeResourcesFit=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1",
            "DefaultBinder"
        },
        {
            "a weight of 0 is 1",
            "multiPoint:\n  enabled:\n  - name: NodeAffinity\n    weight: 0",
            Names(DefaultFilters),
            "TaintToleration=3,NodeAffinity=1,NodeResourcesFit=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1,ImageLocality=1",
            "DefaultBinder"
        },
        {
            "disabled in multiPoint: gone from every point",
            "multiPoint:\n  disabled:\n  - name: NodeAffinity",
            "NodeUnschedulable,NodeName,TaintToleration,NodePorts,NodeResourcesFit,PodTopologySpread,InterPodAffinity",
            "TaintToleration=3,NodeResourcesFit=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1,ImageLocality=1",
            "DefaultBinder"
        },
        {
            "multiPoint * then a few plugins: only those, at every point they implement",
            "multiPoint:\n  disabled:\n  - name: '*'\n  enabled:\n  - name: NodeResourcesFit\n    weight: 4\n  - name: NodeName\n  - name: DefaultBinder",
            "NodeResourcesFit,NodeName",
            "NodeResourcesFit=4",
            "DefaultBinder"
        },
        {
            "* at filter keeps multiPoint's plugins out of filter only",
            "filter:\n  disabled:\n  - name: '*'\n  enabled:\n  - name: NodeName",
            "NodeName",
            "TaintToleration=3,NodeAffinity=2,NodeResourcesFit=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1,ImageLocality=1",
            "DefaultBinder"
        },
        {
            "a filter enabled at its point that multiPoint also enables runs first there",
            "filter:\n  enabled:\n  - name: NodePorts",
            "NodePorts,NodeUnschedulable,NodeName,TaintToleration,NodeAffinity,NodeResourcesFit,PodTopologySpread,InterPodAffinity",
            "TaintToleration=3,NodeAffinity=2,NodeResourcesFit=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1,ImageLocality=1",
            "DefaultBinder"
        },
        {
            "the binder disabled and enabled again",
            "bind:\n  disabled:\n  - name: DefaultBinder\n  enabled:\n  - name: DefaultBinder",
            Names(DefaultFilters),
            "TaintToleration=3,NodeAffinity=2,NodeResourcesFit=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1,ImageLocality=1",
            "DefaultBinder"
        },
        {
            "disabling an upstream plugin Kubesharp lacks changes nothing",
            "multiPoint:\n  disabled:\n  - name: VolumeBinding\n  - name: PrioritySort",
            Names(DefaultFilters),
            "TaintToleration=3,NodeAffinity=2,NodeResourcesFit=1,PodTopologySpread=2,InterPodAffinity=2,NodeResourcesBalancedAllocation=1,ImageLocality=1",
            "DefaultBinder"
        },
    };

    [Theory]
    [MemberData(nameof(Merges))]
    public void Plugin_sets_merge_with_the_defaults_as_upstream(string name, string plugins, string filters, string scores, string binders)
    {
        var profile = Plugins(plugins);

        Assert.True(filters == Names(profile[ExtensionPoint.Filter]), $"{name}: filters {Names(profile[ExtensionPoint.Filter])}, expected {filters}");
        Assert.True(scores == Weights(profile), $"{name}: scores {Weights(profile)}, expected {scores}");
        Assert.True(binders == Names(profile[ExtensionPoint.Bind]), $"{name}: binders {Names(profile[ExtensionPoint.Bind])}, expected {binders}");
    }

    [Fact]
    public void A_plugin_disabled_at_one_point_keeps_its_others()
    {
        var profile = Plugins("preScore:\n  disabled:\n  - name: NodeResourcesBalancedAllocation\nfilter:\n  disabled:\n  - name: NodeAffinity");

        Assert.Equal("TaintToleration,NodeAffinity,NodeResourcesFit,PodTopologySpread,InterPodAffinity,ImageLocality", Names(profile[ExtensionPoint.PreScore]));
        Assert.Equal("NodeAffinity,NodePorts,NodeResourcesFit,PodTopologySpread,InterPodAffinity", Names(profile[ExtensionPoint.PreFilter]));
        Assert.Contains("NodeResourcesBalancedAllocation", profile[ExtensionPoint.Score]);
        Assert.DoesNotContain("NodeAffinity", profile[ExtensionPoint.Filter]);
    }

    [Fact]
    public void Two_profiles_with_their_own_plugins_args_and_percentages()
    {
        var config = Load("""
            percentageOfNodesToScore: 30
            profiles:
            - schedulerName: default-scheduler
            - schedulerName: bin-packing
              percentageOfNodesToScore: 0
              plugins:
                score:
                  disabled:
                  - name: NodeResourcesBalancedAllocation
              pluginConfig:
              - name: NodeResourcesFit
                args:
                  apiVersion: kubescheduler.config.k8s.io/v1
                  kind: NodeResourcesFitArgs
                  ignoredResources: [example.com/foo]
                  scoringStrategy:
                    type: RequestedToCapacityRatio
                    resources:
                    - name: cpu
                      weight: 3
                    - name: memory
                    requestedToCapacityRatio:
                      shape:
                      - utilization: 0
                        score: 0
                      - utilization: 100
                        score: 10
            """);

        Assert.Equal(["default-scheduler", "bin-packing"], config.Profiles.Select(p => p.SchedulerName));
        Assert.Equal([30, 0], config.Profiles.Select(p => p.PercentageOfNodesToScore));
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        var profiles = config.CreateProfiles(new PluginHandle(client));
        Assert.Contains(profiles[0].Scorers, s => s.Plugin.Name == "NodeResourcesBalancedAllocation");
        Assert.DoesNotContain(profiles[1].Scorers, s => s.Plugin.Name == "NodeResourcesBalancedAllocation");

        var defaultFit = (NodeResourcesFit)profiles[0].Filters.Single(f => f.Name == NodeResourcesFit.PluginName);
        Assert.Equal(ScoringStrategyType.LeastAllocated, defaultFit.Args.Strategy);
        var fit = (NodeResourcesFit)profiles[1].Filters.Single(f => f.Name == NodeResourcesFit.PluginName);
        Assert.Equal(ScoringStrategyType.RequestedToCapacityRatio, fit.Args.Strategy);
        Assert.Equal([new ResourceSpec("cpu", 3), new ResourceSpec("memory", 1)], fit.Args.Resources);
        Assert.Equal([new UtilizationShapePoint(0, 0), new UtilizationShapePoint(100, 10)], fit.Args.Shape);
        Assert.Contains("example.com/foo", fit.Args.IgnoredResources);

        // Each profile keeps its own percentage; the scheduler-wide one is left at 0 so an explicit 0 stays adaptive.
        var options = config.ToHostOptions();
        Assert.Equal(0, options.Scheduler.PercentageOfNodesToScore);
        Assert.Equal([30, 0], options.Profiles!(new PluginHandle(client)).Select(p => p.PercentageOfNodesToScore));
    }

    [Fact]
    public void Settings_become_the_hosts_options_and_keep_what_a_file_cannot_say()
    {
        var config = Load("""
            podInitialBackoffSeconds: 2
            podMaxBackoffSeconds: 30
            clientConnection:
              kubeconfig: /etc/kubesharp/scheduler.kubeconfig
            leaderElection:
              leaderElect: false
              leaseDuration: 1m30s
              renewDeadline: 20s
              retryPeriod: 500ms
              resourceNamespace: schedulers
              resourceName: mine
            """);

        var options = config.ToHostOptions(new SchedulerHostOptions { Identity = "me", Scheduler = new SchedulerOptions { Seed = 9 } });

        Assert.Equal("/etc/kubesharp/scheduler.kubeconfig", config.Settings.Kubeconfig);
        Assert.False(options.LeaderElect);
        Assert.Equal((TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500)), (options.LeaseDuration, options.RenewDeadline, options.RetryPeriod));
        Assert.Equal(("schedulers", "mine"), (options.LeaseNamespace, options.LeaseName));
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)), (options.Scheduler.Queue.InitialBackoff, options.Scheduler.Queue.MaxBackoff));
        Assert.Equal(("me", 9), (options.Identity, options.Scheduler.Seed));
    }

    [Fact]
    public void Json_is_yaml_too_and_yaml_booleans_and_aliases_resolve_as_upstream()
    {
        var json = SchedulerConfigurationLoader.Load("""{"apiVersion":"kubescheduler.config.k8s.io/v1","kind":"KubeSchedulerConfiguration","leaderElection":{"leaderElect":false}}""");
        Assert.False(json.Settings.LeaderElection.LeaderElect);

        var yaml = Load("leaderElection:\n  leaderElect: off\nprofiles:\n- schedulerName: a\n  plugins: &p\n    score:\n      disabled: [{name: '*'}]\n- schedulerName: b\n  plugins: *p\n");
        Assert.False(yaml.Settings.LeaderElection.LeaderElect);
        Assert.All(yaml.Profiles, p => Assert.Empty(p[ExtensionPoint.Score]));
    }
}
